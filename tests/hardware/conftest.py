"""Faces on emulated servo buses: spec files made from the built-in faces, emulators as subprocesses."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from mirrorface.face.spec import load_spec
from mirrorface.hardware.calibration import calibration_path, save_calibration
from mirrorface.hardware.emulators.base import emulate, emulated_calibration


def _servo_face_toml(face: str, bus: str, port: str | None = None, **bus_fields) -> str:
    """The built-in `face`'s spec on a `bus`: servo ids 1..n, the simulated camera filming it."""
    text = (resources.files("mirrorface.faces") / face / "face.toml").read_text(encoding="utf-8")
    text = re.sub(r"^index = (\d+)$", lambda m: f"{m.group(0)}\nservo_id = {int(m.group(1)) + 1}", text, flags=re.M)
    text = text.replace("[camera]\n", '[camera]\ndevice = "sim"\n')
    fields = {"type": bus, **({"port": port} if port else {}), **bus_fields}
    lines = "\n".join(f"{k} = {v!r}".replace("'", '"').replace("True", "true").replace("False", "false")
                      for k, v in fields.items())
    return re.sub(r"^\[bus\]\ntype = \"sim\"\n", f"[bus]\n{lines}\n", text, flags=re.M)


@pytest.fixture
def servo_face_toml():
    return _servo_face_toml


class Rig:
    """An emulated robot (in this process) and the spec file of a face wired to it."""

    def __init__(self, tmp_path, bus, face="lips10", fault=None, fault_after=0.0, **bus_fields):
        self.log = io.StringIO()
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.spec_file = tmp_path / f"{face}-{bus}.toml"
        self.spec_file.write_text(_servo_face_toml(face, bus, **bus_fields), encoding="utf-8")
        self.emulator = emulate(bus, load_spec(self.spec_file), fault=fault, fault_after=fault_after,
                                log=self.log).start()
        self.spec_file.write_text(_servo_face_toml(face, bus, self.emulator.port, **bus_fields), encoding="utf-8")
        self.spec = load_spec(self.spec_file)
        save_calibration(emulated_calibration(self.spec, bus, self.servos), calibration_path(self.spec_file))

    @property
    def servos(self):
        return self.emulator.protocol.servos

    def received(self) -> list[dict[int, int]]:
        """Every goal write the emulator has received, in order."""
        self.emulator.drain()
        return [{int(k): v for k, v in json.loads(line)["goals"].items()} for line in self.log.getvalue().splitlines()]



@pytest.fixture
def make_rig(tmp_path):
    """In-process emulated robots: `make_rig(bus, face="lips10", fault=None, fault_after=0, **bus_fields)`."""
    made = []

    def make(bus: str, face: str = "lips10", **kwargs) -> Rig:
        made.append(Rig(tmp_path / f"rig{len(made)}", bus, face, **kwargs))
        return made[-1]

    yield make
    for rig in made:
        rig.emulator.stop()


class EmulatorProcess:
    """`mirrorface emulate` in a subprocess, with the face spec pointed at its port."""

    def __init__(self, tmp: Path, face: str, bus: str, *args: str, **bus_fields):
        self.spec_file = tmp / f"{face}-{bus}.toml"
        self.spec_file.write_text(_servo_face_toml(face, bus, **bus_fields), encoding="utf-8")
        self.log = tmp / f"{face}-{bus}.received.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mirrorface", "emulate", bus, "--face", str(self.spec_file),
             "--calibration-out", str(self.spec_file.with_name(self.spec_file.stem + ".calibration.json")),
             "--log", str(self.log), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = self.proc.stdout.readline()
        assert first.startswith("port: "), first + self.proc.stderr.read()
        self.port = first.removeprefix("port: ").strip()
        self.spec_file.write_text(_servo_face_toml(face, bus, self.port, **bus_fields), encoding="utf-8")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def emulator(tmp_path):
    """Start emulators: `emulator(face, bus, *emulate_args, **bus_fields)`; all stop at the end."""
    started = []

    def start(face: str, bus: str, *args: str, **bus_fields) -> EmulatorProcess:
        started.append(EmulatorProcess(tmp_path, face, bus, *args, **bus_fields))
        return started[-1]

    yield start
    for process in started:
        process.stop()
