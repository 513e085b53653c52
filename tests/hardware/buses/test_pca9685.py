"""The PCA9685 driver against the register-level emulated board."""

from __future__ import annotations

import numpy as np
import pytest

from mirrorface.hardware.bus import BusFault, make_bus
from mirrorface.hardware.buses.pca9685 import PCA9685Bus, period_us, prescale_for
from mirrorface.hardware.calibration import ActuatorCalibration, Calibration
from mirrorface.hardware.emulators.base import EmulatedServos
from mirrorface.hardware.emulators.pca9685 import EmulatedPCA9685


def hobby_calibration(spec) -> Calibration:
    """1000..2000 µs, every second servo reversed."""
    ends = [(1000, 2000) if k % 2 == 0 else (2000, 1000) for k in range(spec.n)]
    actuators = {name: ActuatorCalibration(raw_at_0=a, raw_at_1=b, raw_neutral=1500)
                 for name, (a, b) in zip(spec.names, ends, strict=True)}
    return Calibration(face=spec.name, bus="pca9685", actuators=actuators)


@pytest.fixture
def rig(lips10, face_on):
    spec = face_on(lips10, type="pca9685", i2c_bus=1, retries=2)
    servos = EmulatedServos(spec, np.full(spec.n, 1000.0), np.full(spec.n, 2000.0))
    board = EmulatedPCA9685(servos=servos)
    opened = []

    def open_i2c(n):
        opened.append(n)
        return board

    bus = PCA9685Bus(spec, hobby_calibration(spec), open_i2c=open_i2c)
    bus.connect()
    yield spec, board, bus, opened
    bus.disconnect()


def test_connect_sets_50hz_awake_with_auto_increment(rig):
    spec, board, bus, opened = rig
    assert opened == [1]
    assert prescale_for(50) == 121 and board.registers[0xFE] == 121
    assert board.frequency_hz() == pytest.approx(50.0, abs=0.05)
    assert not board.asleep and board.registers[0x00] & 0x20


def test_pulses_follow_the_calibration_in_one_transfer(rig):
    spec, board, bus, _ = rig
    command = np.linspace(0.0, 1.0, spec.n)
    before = board.transfers
    bus.write_positions(command)
    assert board.transfers == before + 1  # channels 0..9: one auto-increment message
    tick_us = period_us(121) / 4096
    expected = [1000 + c * 1000 if k % 2 == 0 else 2000 - c * 1000 for k, c in enumerate(command)]
    measured = [board.pulse_us(ch) for ch in bus.ids]
    np.testing.assert_allclose(measured, expected, atol=tick_us / 2 + 1e-9)
    np.testing.assert_allclose(bus.read_positions(), command, atol=1e-3)  # the commanded, no read-back
    assert not PCA9685Bus.has_feedback


def test_scattered_channels_are_one_message_per_run(small_face, face_on):
    spec = face_on(small_face(4, channels=[0, 1, 8, 15]), type="pca9685", i2c_bus=0)
    board = EmulatedPCA9685()
    bus = PCA9685Bus(spec, None, open_i2c=lambda n: board)
    bus.connect()
    bus.write_raw(np.array([1000, 1200, 1500, 2000]))
    assert board.transfers == 1 + 5 + 3 + 1  # connect: MODE1 read, 5 setup writes, 3 runs read; 1 write
    np.testing.assert_allclose([board.pulse_us(ch) for ch in (0, 1, 8, 15)], [1000, 1200, 1500, 2000],
                               atol=period_us(121) / 4096 / 2)
    assert [board.pulse_us(ch) for ch in (2, 7, 9, 14)] == [0.0] * 4  # channels between stay off


def test_torque_off_is_full_off_and_on_resumes(rig):
    spec, board, bus, _ = rig
    bus.write_positions(spec.neutral)
    pulses = [board.pulse_us(ch) for ch in bus.ids]
    bus.set_torque(False)
    assert [board.pulse_us(ch) for ch in bus.ids] == [0.0] * spec.n and not board.servos.torque.any()
    bus.set_torque(True)
    assert [board.pulse_us(ch) for ch in bus.ids] == pulses and board.servos.torque.all()


def test_connect_reads_what_the_board_already_sends(lips10, face_on):
    spec = face_on(lips10, type="pca9685", i2c_bus=1)
    board = EmulatedPCA9685()
    first = PCA9685Bus(spec, hobby_calibration(spec), open_i2c=lambda n: board)
    first.connect()
    assert first.read_raw().tolist() == [0] * spec.n  # fresh from power-on: no pulses
    first.write_positions(spec.neutral)
    second = PCA9685Bus(spec, hobby_calibration(spec), open_i2c=lambda n: board)
    second.connect()
    np.testing.assert_allclose(second.read_positions(), spec.neutral, atol=0.005)


def test_a_nack_is_retried_and_a_persistent_one_is_a_fault(rig):
    spec, board, bus, _ = rig
    board.fail_next = 2  # retries=2: the third try gets through
    bus.write_positions(spec.neutral)
    assert board.pulse_us(bus.ids[0]) > 0
    board.fail_next = 3
    with pytest.raises(BusFault, match="pca9685 at 0x40 on /dev/i2c-1: writing the pulses of channels .* 3 tries"):
        bus.write_positions(spec.neutral)


def test_a_reset_board_is_a_fault(rig):
    spec, board, bus, _ = rig
    assert bus.read_faults() == {}
    board.power_on()
    assert bus.read_faults() == {"pca9685": "the board was reset (a supply dip?): its outputs stopped"}
    with pytest.raises(BusFault, match="pca9685 at 0x40 on /dev/i2c-1: the board was reset"):
        bus.write_positions(spec.neutral)


def test_wrong_address_and_missing_settings_are_one_clear_error(lips10, face_on):
    spec = face_on(lips10, type="pca9685", i2c_bus=1, address=0x41, retries=0)
    with pytest.raises(BusFault, match="pca9685 at 0x41 on /dev/i2c-1: reading MODE1 .*wired and powered"):
        PCA9685Bus(spec, None, open_i2c=lambda n: EmulatedPCA9685(address=0x40)).connect()
    with pytest.raises(BusFault, match="needs `i2c_bus`"):
        make_bus(face_on(lips10, type="pca9685"), None).connect()
    with pytest.raises(BusFault, match="cannot open /dev/i2c-99"):
        make_bus(face_on(lips10, type="pca9685", i2c_bus=99), None).connect()


def test_the_docs_example_face_loads_and_drives_its_channels():
    from pathlib import Path

    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.sim import SimFace

    spec = load_spec(Path(__file__).parents[3] / "docs" / "examples" / "hobby10_pca9685.toml")
    assert spec.n == 10 and spec.bus.type == "pca9685" and spec.bus.address == 0x40
    with SimFace(spec) as face:  # it can be tried on the simulator before it is built
        assert face.read_frame().shape == (256, 256, 3)
    board = EmulatedPCA9685()
    bus = PCA9685Bus(spec, hobby_calibration(spec), open_i2c=lambda n: board)
    bus.connect()
    bus.write_positions(spec.neutral)
    assert board.transfers == 1 + 5 + 1 + 1  # one run of channels 0..9, read once and written once
    # brow_left (slot 7, mounted reversed in hobby_calibration) is on channel 8
    assert board.pulse_us(8) == pytest.approx(2000 - 1000 * spec.neutral[7], abs=3)
