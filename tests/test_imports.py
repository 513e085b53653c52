"""Dependency direction: the face spec, the safety layer and the simulator are light, and `say` runs
without PyTorch where its models have current ONNX graphs.

The light modules are what a robot-face builder, a driver and a babbling run import; pulling in torch or
MediaPipe there would make `mirrorface face show` slow and tie the safety path to heavy stacks.
The check runs in a fresh interpreter, because this test session may have imported them already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

LIGHT_MODULES = (
    "mirrorface.face.spec",
    "mirrorface.face.safety",
    "mirrorface.face.sim.skin",
    "mirrorface.face.sim.render",
    "mirrorface.lipsync.speak",  # with models/configs, training/folder, export/graphs: `say` on ONNX graphs
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


SAY = """
import json, sys
from mirrorface.cli.main import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] == "torch")]))
"""


@pytest.mark.parametrize("onnx, live", [("1", False), ("1", True), ("0", False)])
def test_say_runs_the_shipped_onnx_graphs_without_importing_torch(tmp_path, onnx, live):
    """`say` (one-shot or live) with current graphs never imports PyTorch: that is its cold start.
    MIRRORFACE_ONNX=0 is the control: the same command on PyTorch, which the probe sees."""
    mode = ["--realtime", "--audio-out", str(tmp_path / "a.wav")] if live else ["--no-video"]
    argv = ["say", "Bob paid.", "--face", "lips10", "--out", str(tmp_path / "say.mp4"), *mode]
    result = subprocess.run([sys.executable, "-c", SAY, *argv], capture_output=True, text=True, timeout=120,
                            check=False, env={**os.environ, "MIRRORFACE_ONNX": onnx})
    code, torch_modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert code == 0, result.stderr
    assert (torch_modules == []) == (onnx == "1"), torch_modules[:5]
    assert "PyTorch instead" not in result.stderr  # the shipped graphs are current with the shipped weights
