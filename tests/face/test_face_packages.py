"""Face specs are data packages: every built-in face ships its spec and a README that documents
it, and the README's actuator table cannot drift from the spec."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from mirrorface.face.spec import BUILTIN_PACKAGE, builtin_faces, load_spec

FACES_DIR = resources.files(BUILTIN_PACKAGE)  # src/mirrorface/faces, or where it is installed
REQUIRED_FILES = ("face.toml", "README.md")
REQUIRED_SECTIONS = ("Overview", "Actuators", "Safety rules", "Provenance", "Derivation", "License")
# (face, file) -> why that face may lack that file. Empty: every face ships everything.
EXEMPT: dict[tuple[str, str], str] = {}


def readme(name: str) -> str:
    return (FACES_DIR / name / "README.md").read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    """Level-2 headings -> the text under each."""
    parts = re.split(r"^## +(.+?)\s*$", text, flags=re.MULTILINE)
    return {title: body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def first_table(text: str) -> list[dict[str, str]]:
    """The first Markdown table in `text`, as rows keyed by the lower-cased header cells."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    assert len(rows) >= 2, "no table found"
    header, separator, body = rows[0], rows[1], rows[2:]
    assert all(set(cell) <= set(":- ") for cell in separator), f"not a table separator: {separator}"
    return [dict(zip([h.lower() for h in header], row, strict=True)) for row in body]


def test_there_are_builtin_faces():
    assert builtin_faces(), f"no face found under {FACES_DIR}"


def test_every_face_directory_is_a_face():
    """builtin_faces() skips a folder without face.toml; the layout must not leave one behind."""
    folders = sorted(
        p.name for p in FACES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )
    assert folders == builtin_faces()


@pytest.mark.parametrize("name", builtin_faces())
@pytest.mark.parametrize("filename", REQUIRED_FILES)
def test_face_ships_required_file(name: str, filename: str):
    if (name, filename) in EXEMPT:
        pytest.skip(EXEMPT[(name, filename)])
    assert (FACES_DIR / name / filename).is_file()


@pytest.mark.parametrize("name", builtin_faces())
def test_readme_has_required_sections_in_order(name: str):
    titles = list(sections(readme(name)))
    missing = [s for s in REQUIRED_SECTIONS if s not in titles]
    assert not missing, f"{name}/README.md lacks sections {missing}"
    assert [t for t in titles if t in REQUIRED_SECTIONS] == list(REQUIRED_SECTIONS)
    for title in REQUIRED_SECTIONS:
        assert sections(readme(name))[title].strip(), f"{name}/README.md: {title!r} is empty"


@pytest.mark.parametrize("name", builtin_faces())
def test_readme_actuator_table_matches_the_spec(name: str):
    spec = load_spec(name)
    rows = first_table(sections(readme(name))["Actuators"])
    assert [row["name"].strip("`") for row in rows] == spec.names
    assert [int(row["index"]) for row in rows] == list(range(spec.n))
    speed_key = next(k for k in rows[0] if k.startswith("speed"))
    for row, actuator in zip(rows, spec.ordered, strict=True):
        assert row["group"] == actuator.group, actuator.name
        assert float(row["neutral"]) == actuator.neutral, actuator.name
        assert float(row[speed_key]) == actuator.speed, actuator.name
        assert row["0 means"] and row["1 means"], actuator.name


@pytest.mark.parametrize("name", builtin_faces())
def test_readme_explains_every_safety_rule(name: str):
    spec = load_spec(name)
    text = sections(readme(name))["Safety rules"]
    for rule in spec.safety.rules:
        assert f"`{rule.name}`" in text, f"{name}/README.md does not explain rule {rule.name!r}"


@pytest.mark.parametrize("name", builtin_faces())
def test_readme_license_matches_the_package(name: str):
    assert "MIT" in sections(readme(name))["License"]
