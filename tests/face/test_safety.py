"""The safety layer: whatever goes in, what comes out is in range, within the speed limits and
inside every spec rule; NaN and infinity are refused and the face holds its pose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorface.errors import SafetyError
from mirrorface.face.safety import SafetyLayer, SafetyReport
from mirrorface.face.spec import FaceSpec, builtin_faces, load_spec

SPECS = {name: load_spec(name) for name in builtin_faces()}
PROPERTY = settings(max_examples=200, deadline=None)
TOL = 1e-9

# Any float at all, mixed with values near and at the range ends so that all code paths run.
ANY = st.floats(allow_nan=True, allow_infinity=True)
NEAR = st.floats(-0.3, 1.3, allow_nan=False)
EDGE = st.sampled_from([0.0, 1.0, -0.0, 1e-12, 1 - 1e-12])
VALUE = st.one_of(NEAR, NEAR, EDGE, ANY)
FINITE = st.one_of(NEAR, EDGE, st.floats(-1e300, 1e300))
DT = st.floats(0.0, 0.2)
SPEC = st.sampled_from(sorted(SPECS)).map(SPECS.__getitem__)


def vectors(spec: FaceSpec, elements: st.SearchStrategy[float] = VALUE) -> st.SearchStrategy:
    return st.lists(elements, min_size=spec.n, max_size=spec.n).map(np.array)


@st.composite
def layer_and_command(draw, elements: st.SearchStrategy[float] = VALUE):
    """A layer that starts anywhere safe, and a command to send through it."""
    spec = draw(SPEC)
    layer = SafetyLayer(spec, start=draw(vectors(spec, NEAR)))
    return layer, draw(vectors(spec, elements))


def check_step(layer: SafetyLayer, previous: np.ndarray, command: np.ndarray, dt: float,
               sent: np.ndarray, report: SafetyReport) -> None:
    """Every invariant of one tick."""
    spec = layer.spec
    assert sent.shape == (spec.n,)
    assert np.all(np.isfinite(sent))
    # (a) in range
    assert np.all(sent >= spec.lower - 1e-12), sent - spec.lower
    assert np.all(sent <= spec.upper + 1e-12), spec.upper - sent
    # (b) within the speed limits
    assert np.all(np.abs(sent - previous) <= spec.speed * dt + TOL), np.abs(sent - previous)
    # (c) inside every rule
    for rule in spec.safety.rules:
        assert spec.rule_value(rule, sent) <= rule.max + TOL, rule.name
    # (d) NaN and infinity are rejected and the face holds its pose
    if not np.all(np.isfinite(command)):
        assert report.rejected
        np.testing.assert_array_equal(sent, previous)
        assert not (report.clamped or report.rate_limited or report.rules)
    else:
        assert not report.rejected
        outside = (command < spec.lower) | (command > spec.upper)
        assert report.clamped == [spec.names[i] for i in np.flatnonzero(outside)]
        assert set(report.rules) <= {r.name for r in spec.safety.rules}
        assert report.rate_limited == [n for n in spec.names if n in set(report.rate_limited)]
        if not report.modified:  # the report ignores changes below 1e-12
            np.testing.assert_allclose(sent, command, rtol=0, atol=1e-12)
    # the layer remembers what it sent, not what it was asked
    np.testing.assert_array_equal(layer.last, sent)


# -- properties --------------------------------------------------------------------------------


@PROPERTY
@given(case=layer_and_command(), dt=DT)
def test_any_command_comes_out_safe(case, dt: float):
    layer, command = case
    previous = layer.last.copy()
    sent, report = layer(command, dt)
    check_step(layer, previous, command, dt, sent, report)


@PROPERTY
@given(data=st.data(), dt=DT, bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nan_or_infinity_anywhere_is_rejected(data, dt: float, bad: float):
    layer, command = data.draw(layer_and_command(FINITE))
    command[data.draw(st.integers(0, layer.spec.n - 1))] = bad
    previous = layer.last.copy()
    sent, report = layer(command, dt)
    assert report.rejected and report.modified
    np.testing.assert_array_equal(sent, previous)
    np.testing.assert_array_equal(layer.last, previous)
    sent[0] = -1.0  # the caller owns its copy
    np.testing.assert_array_equal(layer.last, previous)


@PROPERTY
@given(spec=SPEC, data=st.data())
def test_sequences_keep_every_invariant(spec: FaceSpec, data):
    layer = SafetyLayer(spec)
    steps = data.draw(st.lists(st.tuples(vectors(spec), DT), min_size=1, max_size=25))
    for command, dt in steps:
        previous = layer.last.copy()
        sent, report = layer(command, dt)
        check_step(layer, previous, command, dt, sent, report)


@PROPERTY
@given(case=layer_and_command(FINITE))
def test_repeating_a_command_reaches_its_projection(case):
    """Rate limiting slows the face down but never stalls it short of the safe target."""
    layer, command = case
    target = layer.project(command)
    for _ in range(20):  # the slowest actuator (1.5/s) crosses [0, 1] in 7 ticks of 0.1 s
        sent, _ = layer(command, 0.1)
    np.testing.assert_allclose(sent, target, rtol=0, atol=1e-12)
    _, report = layer(command, 0.1)
    assert not report.rate_limited


@PROPERTY
@given(case=layer_and_command(FINITE))
def test_project_is_safe_and_idempotent(case):
    layer, command = case
    once = layer.project(command)
    assert layer.is_safe(once)
    np.testing.assert_allclose(layer.project(once), once, rtol=0, atol=1e-12)


@PROPERTY
@given(case=layer_and_command(NEAR))
def test_project_leaves_safe_commands_alone(case):
    layer, command = case
    if layer.is_safe(command):  # is_safe allows 1e-12 outside a range
        np.testing.assert_allclose(layer.project(command), command, rtol=0, atol=1e-12)
    else:
        assert not np.array_equal(layer.project(command), command)


# -- deterministic behaviour -------------------------------------------------------------------


def pose(spec: FaceSpec, **values: float) -> np.ndarray:
    command = spec.neutral.copy()
    for name, value in values.items():
        command[spec.index_of(name)] = value
    return command


def rule(spec: FaceSpec, name: str):
    return next(r for r in spec.safety.rules if r.name == name)


@pytest.mark.parametrize("name", ["lips10", "emo26"])
def test_overstretch_is_pulled_back_onto_the_rule_boundary(name: str):
    spec = SPECS[name]
    layer = SafetyLayer(spec)
    command = pose(spec, corner_left_x=1.0, corner_right_x=1.0, jaw=1.0)  # 1 + 1 + 0.8 > 2.3
    overstretch = rule(spec, "corner_overstretch")
    assert spec.rule_value(overstretch, command) > overstretch.max
    sent, report = layer(command, dt=1.0)  # long enough that no speed limit binds
    assert spec.rule_value(overstretch, sent) == pytest.approx(overstretch.max, abs=1e-12)
    # pulled back along the straight line to the neutral pose: the intent's direction is kept
    s = (overstretch.max - spec.rule_value(overstretch, spec.neutral)) / (
        spec.rule_value(overstretch, command) - spec.rule_value(overstretch, spec.neutral)
    )
    np.testing.assert_allclose(sent, spec.neutral + s * (command - spec.neutral), atol=1e-12)
    assert report.rules == ["corner_overstretch"]
    assert report.clamped == [] and report.rate_limited == [] and not report.rejected
    assert report.modified
    assert layer.is_safe(sent)


def test_report_names_rule_clamped_and_rate_limited_actuators():
    spec = SPECS["lips10"]
    layer = SafetyLayer(spec)
    command = pose(spec, corner_left_x=1.0, corner_right_x=1.0, jaw=5.0)
    sent, report = layer(command, dt=0.01)
    assert report.rules == ["corner_overstretch"]
    assert report.clamped == ["jaw"]
    assert report.rate_limited == ["jaw", "corner_left_x", "corner_right_x"]  # index order
    expected = pose(spec, jaw=0.05 + 3.5 * 0.01, corner_left_x=0.55, corner_right_x=0.55)
    np.testing.assert_allclose(sent, expected, atol=1e-12)


def test_rate_limit_only():
    spec = SPECS["lips10"]
    layer = SafetyLayer(spec)
    sent, report = layer(pose(spec, jaw=0.9), dt=0.1)
    assert sent[spec.index_of("jaw")] == pytest.approx(0.05 + 0.35)
    assert report.rate_limited == ["jaw"] and report.rules == [] and report.clamped == []
    sent, report = layer(pose(spec, jaw=0.9), dt=0.1)
    assert sent[spec.index_of("jaw")] == pytest.approx(0.75)
    sent, report = layer(pose(spec, jaw=0.9), dt=0.1)
    assert sent[spec.index_of("jaw")] == 0.9 and not report.modified


def test_rate_limit_moves_all_actuators_together_where_one_at_a_time_would_break_a_rule():
    spec = SPECS["lips10"]
    start = pose(spec, corner_left_x=0.6, corner_right_x=0.6, jaw=0.8)  # 1.84 <= 2.3
    target = pose(spec, corner_left_x=1.0, corner_right_x=1.0, jaw=0.3)  # 2.24 <= 2.3
    layer = SafetyLayer(spec, start=start)
    assert layer.is_safe(start) and layer.is_safe(target)
    # Each actuator alone would put the corners at 1.0 (step 0.4) with the jaw at 0.52 (step 0.28):
    # 2.416 > 2.3. Moving the same fraction 0.28 / 0.5 of the way stays on the safe segment.
    sent, report = layer(target, dt=0.08)
    np.testing.assert_allclose(sent, start + 0.56 * (target - start), atol=1e-12)
    assert report.rules == [] and report.clamped == []
    assert report.rate_limited == ["jaw", "corner_left_x", "corner_right_x"]
    assert layer.is_safe(sent)


def test_safe_command_within_rate_limits_passes_unchanged():
    spec = SPECS["emo26"]
    layer = SafetyLayer(spec)
    command = spec.neutral + np.linspace(-0.01, 0.01, spec.n)
    assert layer.is_safe(command)
    sent, report = layer(command, dt=0.1)
    np.testing.assert_array_equal(sent, command)
    assert report == SafetyReport() and not report.modified


def test_zero_or_negative_dt_holds_the_pose():
    spec = SPECS["lips10"]
    layer = SafetyLayer(spec)
    for dt in (0.0, -0.5):
        sent, report = layer(pose(spec, jaw=0.9), dt)
        np.testing.assert_array_equal(sent, spec.neutral)
        assert report.rate_limited == ["jaw"]


def test_rejected_command_then_a_good_one_continues_from_the_held_pose():
    spec = SPECS["lips10"]
    layer = SafetyLayer(spec)
    first, _ = layer(pose(spec, jaw=0.9), 0.1)
    held, report = layer(pose(spec, jaw=np.nan), 0.1)
    assert report.rejected
    np.testing.assert_array_equal(held, first)
    sent, _ = layer(pose(spec, jaw=0.9), 0.1)
    assert sent[spec.index_of("jaw")] == pytest.approx(first[spec.index_of("jaw")] + 0.35)


@pytest.mark.parametrize("shape", [(9,), (11,), (10, 1), (1, 10), (), (0,)])
def test_wrong_shape_raises(shape: tuple[int, ...]):
    layer = SafetyLayer(SPECS["lips10"])
    with pytest.raises(SafetyError) as info:
        layer(np.full(shape, 0.5), 0.1)
    assert "\n" not in str(info.value) and "10" in str(info.value)
    np.testing.assert_array_equal(layer.last, SPECS["lips10"].neutral)


@pytest.mark.parametrize("dt", [np.nan, np.inf, -np.inf])
def test_non_finite_dt_raises_and_keeps_the_state(dt: float):
    spec = SPECS["lips10"]
    layer = SafetyLayer(spec)
    with pytest.raises(SafetyError):
        layer(pose(spec, jaw=0.5), dt)
    np.testing.assert_array_equal(layer.last, spec.neutral)
    sent, _ = layer(pose(spec, jaw=0.5), 0.1)
    assert np.all(np.isfinite(sent))


def test_start_and_reset():
    spec = SPECS["lips10"]
    unsafe = pose(spec, corner_left_x=1.0, corner_right_x=1.0, jaw=1.0)
    layer = SafetyLayer(spec, start=unsafe)
    assert layer.is_safe(layer.last)
    np.testing.assert_array_equal(layer.last, layer.project(unsafe))
    layer.reset()
    np.testing.assert_array_equal(layer.last, spec.neutral)
    layer.reset(pose(spec, jaw=2.0))
    np.testing.assert_array_equal(layer.last, pose(spec, jaw=1.0))
    for bad in (pose(spec, jaw=np.nan), np.zeros(3)):
        with pytest.raises(SafetyError):
            layer.reset(bad)
        with pytest.raises(SafetyError):
            SafetyLayer(spec, start=bad)
    np.testing.assert_array_equal(layer.last, pose(spec, jaw=1.0))


def test_is_safe():
    spec = SPECS["emo26"]
    layer = SafetyLayer(spec)
    assert layer.is_safe(spec.neutral)
    assert not layer.is_safe(pose(spec, jaw=1.01))
    assert not layer.is_safe(pose(spec, jaw=np.nan))
    assert not layer.is_safe(pose(spec, neck_yaw=1.0, neck_roll=1.0))
    assert layer.violated_rules(pose(spec, neck_yaw=1.0, neck_roll=1.0)) == ["neck_twist"]
    assert layer.violated_rules(pose(spec, upper_lid_left=0.0, lower_lid_left=1.0)) == [
        "lid_pinch_left"
    ]
