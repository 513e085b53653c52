"""Dependency direction: the face spec, the safety layer and the simulator are light.

They are what a robot-face builder, a driver and a babbling run import; pulling in torch or
MediaPipe there would make `mirrorface face show` slow and tie the safety path to heavy stacks.
The check runs in a fresh interpreter, because this test session may have imported them already.
"""

from __future__ import annotations

import json
import subprocess
import sys

LIGHT_MODULES = (
    "mirrorface.face.spec",
    "mirrorface.face.safety",
    "mirrorface.face.sim.skin",
    "mirrorface.face.sim.render",
)
HEAVY = ("torch", "mediapipe")

PROBE = f"""
import importlib, json, sys
for name in {LIGHT_MODULES!r}:
    importlib.import_module(name)
print(json.dumps(sorted(
    m for m in sys.modules if m.split(".")[0] in {HEAVY!r}
)))
"""


def test_light_modules_do_not_import_torch_or_mediapipe():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    heavy = json.loads(result.stdout.strip().splitlines()[-1])
    assert heavy == [], f"importing {LIGHT_MODULES} pulled in {heavy}"


def test_the_probe_can_see_heavy_imports():
    """The probe itself works: a module that imports json shows up when asked for json."""
    probe = PROBE.replace(repr(HEAVY), repr(("json",)))
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "json" in json.loads(result.stdout.strip().splitlines()[-1])
