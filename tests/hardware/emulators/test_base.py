"""The pseudo-terminal emulator: serving, an injected disconnect, stopping twice."""

import contextlib

import numpy as np
import serial

from mirrorface.hardware.calibration import calibration_path, load_calibration, save_calibration
from mirrorface.hardware.emulators.base import Fault, emulate, emulated_calibration


def test_a_disconnect_closes_the_port_from_the_serving_thread(lips10):
    emulator = emulate("feetech", lips10, fault=Fault.disconnect).start()
    client = serial.Serial(emulator.port, 1_000_000, timeout=0.2)
    client.write(bytes.fromhex("ffff010201fb"))  # a ping: the first request starts the fault
    emulator.wait()
    assert emulator._master == -1  # closed by the serving thread itself
    with contextlib.suppress(serial.SerialException):  # the port may report the hang-up instead
        assert client.read(6) == b""  # nothing answers any more
    client.close()
    emulator.stop()
    emulator.stop()  # twice is harmless


def test_emulated_calibration_matches_the_emulated_mechanics(lips10, tmp_path):
    emulator = emulate("dynamixel", lips10)
    servos = emulator.protocol.servos
    path = calibration_path(tmp_path / "lips10.toml")
    save_calibration(emulated_calibration(lips10, "dynamixel", servos), path)
    calibration = load_calibration(path, lips10.model_copy(update={"bus": lips10.bus.model_copy(
        update={"type": "dynamixel"})}))
    at_0, at_1 = calibration.raw_ends(lips10)
    assert np.array_equal(at_0, servos.raw_at_0) and np.array_equal(at_1, servos.raw_at_1)
    assert np.any(at_1 < at_0) and np.any(at_1 > at_0)  # both mounting directions
    emulator.stop()
