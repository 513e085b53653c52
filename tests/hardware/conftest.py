"""Emulated robots for the hardware tests: spec files wired to emulators on a pty (with their
calibration), an emulated Maestro, small faces."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager

import pytest

from mirrorface.face.spec import Actuator, Bus, FaceSpec, load_spec
from mirrorface.hardware.calibration import calibration_path, save_calibration
from mirrorface.hardware.emulators.base import (
    EmulatedServos,
    Fault,
    PtyEmulator,
    emulate,
    emulated_calibration,
    emulated_mechanics,
)
from mirrorface.hardware.emulators.maestro import MaestroProtocol


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


def make_small_face(n: int, bus: Bus = Bus(), channels: list[int] | None = None) -> FaceSpec:
    channels = channels or list(range(n))
    actuators = [Actuator(name=f"a{k}", group="jaw", index=k, range=(0.1, 0.9), neutral=0.5, speed=4.0,
                          servo_id=channels[k]) for k in range(n)]
    return FaceSpec(name=f"small{n}", actuators=actuators, bus=bus)


@contextmanager
def emulated_maestro(spec: FaceSpec, model: str = "mini24", fault: Fault | None = None, fault_after: float = 0.0):
    """Yields (protocol, port) while an emulated Maestro answers on a pseudo-terminal."""
    servos = EmulatedServos(spec, *emulated_mechanics(spec, *MaestroProtocol.raw_limits))
    protocol = MaestroProtocol(servos, model=model)
    with PtyEmulator(protocol, fault=fault, fault_after=fault_after) as emulator:
        yield protocol, emulator.port


@pytest.fixture
def small_face():
    """small_face(n, bus, channels): n alike actuators on the given channels (0..n-1 by default)."""
    return make_small_face


@pytest.fixture
def maestro_emulator():
    return emulated_maestro


@pytest.fixture
def face_on():
    """face_on(spec, **bus): the spec with its [bus] replaced. Replies may take 200 ms unless a test
    says otherwise: the emulator shares this busy process, and only fault tests want a short wait."""
    return lambda spec, **bus: spec.model_copy(update={"bus": Bus(**{"timeout_ms": 200, **bus})})
