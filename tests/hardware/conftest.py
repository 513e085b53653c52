"""Rigs for the hardware tests: an emulated Maestro on a real pseudo-terminal, small faces."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from mirrorface.face.spec import Actuator, Bus, FaceSpec
from mirrorface.hardware.emulators.base import EmulatedServos, Fault, PtyEmulator, emulated_mechanics
from mirrorface.hardware.emulators.maestro import MaestroProtocol


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
