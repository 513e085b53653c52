"""Emulated robots in this process: a spec file wired to an emulator on a pty, and its calibration."""

from __future__ import annotations

import io
import json

import pytest

from mirrorface.face.spec import load_spec
from mirrorface.hardware.calibration import calibration_path, save_calibration
from mirrorface.hardware.emulators.base import emulate, emulated_calibration


class Rig:
    """An emulated robot (in this process) and the spec file of a face wired to it."""

    def __init__(self, servo_face_toml, tmp_path, bus, face="lips10", fault=None, fault_after=0.0, **bus_fields):
        self.log = io.StringIO()
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.spec_file = tmp_path / f"{face}-{bus}.toml"
        self.spec_file.write_text(servo_face_toml(face, bus, **bus_fields), encoding="utf-8")
        self.emulator = emulate(bus, load_spec(self.spec_file), fault=fault, fault_after=fault_after,
                                log=self.log).start()
        self.spec_file.write_text(servo_face_toml(face, bus, self.emulator.port, **bus_fields), encoding="utf-8")
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
def make_rig(servo_face_toml, tmp_path):
    """In-process emulated robots: `make_rig(bus, face="lips10", fault=None, fault_after=0, **bus_fields)`."""
    made = []

    def make(bus: str, face: str = "lips10", **kwargs) -> Rig:
        made.append(Rig(servo_face_toml, tmp_path / f"rig{len(made)}", bus, face, **kwargs))
        return made[-1]

    yield make
    for rig in made:
        rig.emulator.stop()
