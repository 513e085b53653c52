"""Face specs: the built-in faces are what the papers describe, and every malformed spec is
refused with one line that names the file and the offending field."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from mirrorface.errors import SpecError
from mirrorface.face.spec import BUILTIN_PACKAGE, FaceSpec, builtin_faces, load_spec, parse_spec

# -- the built-in faces ------------------------------------------------------------------------


def test_builtin_faces_are_listed():
    faces = builtin_faces()
    assert {"emo26", "lips10"} <= set(faces)
    assert faces == sorted(faces)


@pytest.mark.parametrize("name", builtin_faces())
def test_builtin_face_loads_by_name_and_by_path(name: str):
    spec = load_spec(name)
    assert isinstance(spec, FaceSpec)
    assert spec.name == name
    path = Path(str(resources.files(BUILTIN_PACKAGE) / name / "face.toml"))
    assert load_spec(path) == spec
    assert load_spec(str(path)) == spec


def test_lips10_has_the_lip_sync_papers_ten_dof():
    spec = load_spec("lips10")
    assert spec.n == 10
    # Eq. 7 of the lip-sync paper: indices 0, 1 and 4 are upper lip, lower lip and jaw.
    assert spec.index_of("upper_lip_center") == 0
    assert spec.index_of("lower_lip_center") == 1
    assert spec.index_of("jaw") == 4
    closure = {c.name: c.closes for c in spec.lips.closure}
    assert closure == {"upper_lip_center": -1, "lower_lip_center": 1, "jaw": -1}
    assert [spec.index_of(c.name) for c in spec.lips.closure] == [0, 1, 4]
    # Two 2-D corners (4), upper lip (3), jaw (1), lower lip (2).
    groups = Counter(a.group for a in spec.actuators)
    assert groups == {"corner": 4, "upper_lip": 3, "jaw": 1, "lower_lip": 2}
    assert spec.symmetric == ()


def test_emo26_has_the_coexpression_robots_26_motors():
    spec = load_spec("emo26")
    assert spec.n == 26
    groups = Counter(a.group for a in spec.actuators)
    assert groups["neck"] == 3
    assert groups["eye"] + groups["lid"] + groups["brow"] == 12
    assert groups["upper_lip"] + groups["lower_lip"] + groups["corner"] + groups["jaw"] == 11
    assert sum(groups.values()) == 26
    assert {c.name: c.closes for c in spec.lips.closure} == {
        "upper_lip_center": -1,
        "lower_lip_center": 1,
        "jaw": -1,
    }


def test_emo26_symmetric_set_is_two_brows_two_lids_six_mouth_one_jaw():
    spec = load_spec("emo26")
    by_name = {a.name: a for a in spec.actuators}
    assert len(spec.symmetric) == 11
    region = {"brow": "brow", "lid": "lid", "jaw": "jaw"}
    region.update(upper_lip="mouth", lower_lip="mouth", corner="mouth")
    kinds = Counter()
    for cmd in spec.symmetric:
        groups = {by_name[n].group for n in cmd.actuators}
        assert len(groups) == 1, f"{cmd.name} mixes groups {groups}"
        kinds[region[groups.pop()]] += 1
        if len(cmd.actuators) == 2:
            left, right = (by_name[n] for n in cmd.actuators)
            assert left.partner == right.name and right.partner == left.name
        else:
            assert by_name[cmd.actuators[0]].partner is None  # a midline actuator
    assert kinds == {"brow": 2, "lid": 2, "mouth": 6, "jaw": 1}
    # The coexpression paper: 19 expression motors (18 symmetric + the jaw); neck and eyes stay out.
    driven = [n for cmd in spec.symmetric for n in cmd.actuators]
    assert len(driven) == len(set(driven)) == 19
    left_out = {a.group for a in spec.actuators if a.name not in driven}
    assert left_out == {"neck", "eye"}


@pytest.mark.parametrize("name", builtin_faces())
def test_builtin_face_is_consistent_data(name: str):
    spec = load_spec(name)
    assert [a.index for a in spec.ordered] == list(range(spec.n))
    assert spec.names == [a.name for a in spec.ordered]
    assert np.all(spec.lower <= spec.neutral) and np.all(spec.neutral <= spec.upper)
    assert spec.speed.shape == spec.lower.shape == spec.upper.shape == (spec.n,)
    for rule in spec.safety.rules:
        assert rule.why.strip()
        assert spec.rule_value(rule, spec.neutral) <= rule.max
    by_name = {a.name: a for a in spec.actuators}
    for a in spec.actuators:
        if a.partner is not None:  # mirror images move alike
            b = by_name[a.partner]
            assert (a.group, a.range, a.neutral, a.speed) == (b.group, b.range, b.neutral, b.speed)


def test_spec_is_frozen():
    spec = load_spec("lips10")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        spec.name = "other"  # type: ignore[misc]


# -- index_of and expand_symmetric -------------------------------------------------------------


@pytest.mark.parametrize("name", builtin_faces())
def test_index_of_every_actuator(name: str):
    spec = load_spec(name)
    for a in spec.actuators:
        assert spec.index_of(a.name) == a.index


def test_index_of_unknown_names_the_face_and_its_actuators():
    spec = load_spec("lips10")
    with pytest.raises(SpecError) as info:
        spec.index_of("nose")
    message = str(info.value)
    assert "\n" not in message
    assert "lips10" in message and "'nose'" in message and "corner_right_y" in message


def test_expand_symmetric_drives_both_sides_and_keeps_the_rest_neutral():
    spec = load_spec("emo26")
    values = np.linspace(0.05, 0.95, 11)
    full = spec.expand_symmetric(values)
    assert full.shape == (26,)
    expected = spec.neutral.copy()
    for value, cmd in zip(values, spec.symmetric, strict=True):
        for n in cmd.actuators:
            expected[spec.index_of(n)] = value
    np.testing.assert_array_equal(full, expected)
    assert full[spec.index_of("brow_inner_left")] == full[spec.index_of("brow_inner_right")]
    corner_y = [full[spec.index_of(n)] for n in ("corner_left_y", "corner_right_y")]
    assert corner_y == [values[9], values[9]]
    assert full[spec.index_of("jaw")] == values[10]
    for group in ("neck", "eye"):
        idx = spec.indices_of_groups({group})
        np.testing.assert_array_equal(full[idx], spec.neutral[idx])
    # the neutral pose is unchanged by the call
    assert spec.neutral[spec.index_of("jaw")] == 0.05


def test_expand_symmetric_neutral_round_trip():
    spec = load_spec("emo26")
    first = [spec.index_of(c.actuators[0]) for c in spec.symmetric]
    np.testing.assert_array_equal(spec.expand_symmetric(spec.neutral[first]), spec.neutral)


def test_expand_symmetric_rejects_the_wrong_length():
    spec = load_spec("emo26")
    with pytest.raises(ValueError):
        spec.expand_symmetric(np.zeros(10))
    with pytest.raises(ValueError):
        spec.expand_symmetric(np.zeros(12))


def test_expand_symmetric_without_a_symmetric_set_is_neutral():
    spec = load_spec("lips10")
    np.testing.assert_array_equal(spec.expand_symmetric(np.zeros(0)), spec.neutral)


# -- malformed specs ---------------------------------------------------------------------------

VALID = """\
name = "tiny"
description = "three actuators, enough to break every rule"

[[actuators]]
name = "jaw"
group = "jaw"
index = 0
neutral = 0.1
speed = 3.0

[[actuators]]
name = "corner_left"
group = "corner"
index = 1
neutral = 0.5
speed = 5.0
partner = "corner_right"

[[actuators]]
name = "corner_right"
group = "corner"
index = 2
neutral = 0.5
speed = 5.0
partner = "corner_left"

[lips]
closure = [{ name = "jaw", closes = -1 }]

[[symmetric]]
name = "corner"
actuators = ["corner_left", "corner_right"]

[[safety.rules]]
name = "stretch"
why = "the skin tears"
weights = { corner_left = 1.0, corner_right = 1.0, jaw = 0.5 }
max = 1.8

[bus]
type = "sim"
"""

JAW = 'name = "jaw"\ngroup = "jaw"\nindex = 0\nneutral = 0.1\nspeed = 3.0\n'
RIGHT = 'index = 2\nneutral = 0.5\nspeed = 5.0\npartner = "corner_left"\n'

# (id, text replaced in VALID, replacement, fragments the one-line message must contain)
MALFORMED = [
    ("bad-toml", 'name = "tiny"\n', 'name = "tiny\n', ["not valid TOML", "line 1"]),
    ("bad-toml-table", "[lips]", "[lips", ["not valid TOML"]),
    ("missing-speed", JAW, JAW.replace("speed = 3.0\n", ""), ["actuators.0.speed", "required"]),
    ("missing-neutral", JAW, JAW.replace("neutral = 0.1\n", ""),
     ["actuators.0.neutral", "required"]),
    ("missing-name", 'name = "tiny"\n', "", ["name", "required"]),
    ("no-actuators", VALID, 'name = "tiny"\n', ["actuators", "required"]),
    ("typo-field", "neutral = 0.1", "nuetral = 0.1", ["actuators.0.neutral", "required"]),
    ("extra-field", JAW, JAW + "colour = 3\n", ["actuators.0.colour", "not permitted"]),
    ("range-below-0", JAW, JAW + "range = [-0.1, 0.9]\n", ["actuators.0", "range", "-0.1"]),
    ("range-above-1", JAW, JAW + "range = [0.0, 1.5]\n", ["actuators.0", "range", "1.5"]),
    ("range-min-gt-max", JAW, JAW + "range = [0.6, 0.05]\n", ["actuators.0", "range", "0.6"]),
    ("range-min-eq-max", JAW, JAW + "range = [0.1, 0.1]\n", ["actuators.0", "range"]),
    ("neutral-out-of-range", JAW, JAW + "range = [0.2, 0.9]\n", ["actuators.0", "neutral 0.1"]),
    ("neutral-above-1", "neutral = 0.1", "neutral = 1.5", ["actuators.0.neutral"]),
    ("speed-zero", "speed = 3.0", "speed = 0.0", ["actuators.0.speed"]),
    ("duplicate-name", JAW, JAW + "\n[[actuators]]\n" + JAW.replace("0\n", "3\n", 1), ["jaw"]),
    ("index-gap", RIGHT, RIGHT.replace("index = 2", "index = 3"), ["indices", "[0, 1, 3]"]),
    ("index-twice", RIGHT, RIGHT.replace("index = 2", "index = 1"), ["indices", "[0, 1, 1]"]),
    ("partner-unknown", 'partner = "corner_right"', 'partner = "corner_rgt"', ["'corner_rgt'"]),
    ("partner-one-way", 'partner = "corner_left"\n', "", ["'corner_left'", "name it back"]),
    ("rule-unknown", "corner_left = 1.0,", "cheek = 1.0,", ["unknown actuators", "'cheek'"]),
    ("closure-unknown", '{ name = "jaw", closes', '{ name = "chin", closes', ["'chin'"]),
    ("closure-sign", "closes = -1", "closes = 0", ["lips.closure.0.closes"]),
    ("symmetric-unknown", '["corner_left", "corner_right"]', '["corner_left", "lid"]', ["'lid'"]),
    ("symmetric-three", '"corner_right"]', '"corner_right", "jaw"]', ["symmetric.0.actuators"]),
    ("rule-forbids-neutral", "max = 1.8", "max = 1.0", ["'stretch'", "neutral"]),
    ("rule-no-weights", "weights = { corner_left = 1.0, corner_right = 1.0, jaw = 0.5 }",
     "weights = {}", ["safety.rules.0.weights"]),
    ("rule-no-why", 'why = "the skin tears"\n', "", ["safety.rules.0.why", "required"]),
    ("bus-unknown", 'type = "sim"', 'type = "canbus"', ["bus.type"]),
    ("camera-odd", '[bus]', '[camera]\nwidth = 101\n\n[bus]', ["camera", "even", "101x256"]),
    # A spec may not disable a rule or a limit: NaN and infinity are refused everywhere.
    ("rule-max-nan", "max = 1.8", "max = nan", ["safety.rules.0.max", "finite"]),
    ("rule-max-inf", "max = 1.8", "max = inf", ["safety.rules.0.max", "finite"]),
    ("rule-weight-nan", "jaw = 0.5 }", "jaw = nan }", ["safety.rules.0.weights.jaw", "finite"]),
    ("rule-weight-inf", "corner_left = 1.0,", "corner_left = -inf,", ["safety.rules.0.weights", "finite"]),
    ("speed-inf", "speed = 3.0", "speed = inf", ["actuators.0.speed", "finite"]),
    ("speed-nan", "speed = 3.0", "speed = nan", ["actuators.0.speed", "finite"]),
    ("range-inf", JAW, JAW + "range = [0.0, inf]\n", ["actuators.0.range", "finite"]),
    ("neutral-nan", "neutral = 0.1", "neutral = nan", ["actuators.0.neutral", "finite"]),
]


def test_the_template_is_valid(tmp_path: Path):
    path = tmp_path / "face.toml"
    path.write_text(VALID, encoding="utf-8")
    spec = load_spec(path)
    assert spec.names == ["jaw", "corner_left", "corner_right"]
    assert spec.safety.rules[0].name == "stretch"


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_spec_is_one_line_naming_file_and_field(
    tmp_path: Path, old: str, new: str, fragments: list[str]
):
    assert VALID.count(old) >= 1, "the case no longer matches the template"
    path = tmp_path / "my_face.toml"
    path.write_text(VALID.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


def test_non_utf8_spec_is_one_line(tmp_path: Path):
    path = tmp_path / "face.toml"
    path.write_bytes(VALID.encode("utf-8").replace(b'"tiny"', b'"t\xffny"'))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"{path}: not valid TOML")


def test_unknown_builtin_lists_the_builtin_faces():
    with pytest.raises(SpecError) as info:
        load_spec("emo27")
    message = str(info.value)
    assert "\n" not in message
    assert "'emo27'" in message
    for name in builtin_faces():
        assert name in message


def test_missing_path_is_named(tmp_path: Path):
    path = tmp_path / "nowhere" / "face.toml"
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message


def test_directory_is_not_a_spec(tmp_path: Path):
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_the_digest_tells_specs_apart_by_content_not_layout():
    base = parse_spec(VALID)
    assert parse_spec("# a comment\n" + VALID.replace("speed = 3.0", "speed   =   3.0")).digest == base.digest
    assert parse_spec(VALID.replace("speed = 3.0", "speed = 2.9")).digest != base.digest
    assert parse_spec(VALID.replace("max = 1.8", "max = 1.9")).digest != base.digest
