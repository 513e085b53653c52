"""The emulated PCA9685 behaves as the datasheet says, driven through real smbus2 messages."""

from __future__ import annotations

import pytest
from smbus2 import i2c_msg

from mirrorface.hardware.emulators.pca9685 import EmulatedPCA9685


def test_power_on_is_asleep_with_outputs_off():
    board = EmulatedPCA9685()
    assert board.asleep and board.frequency_hz() == pytest.approx(200, rel=0.02)
    assert [board.pulse_us(ch) for ch in range(16)] == [0.0] * 16


def test_prescale_is_write_blocked_while_awake():
    board = EmulatedPCA9685()
    board.write_byte_data(0x40, 0x00, 0x00)  # wake
    board.write_byte_data(0x40, 0xFE, 121)
    assert board.registers[0xFE] == 0x1E
    board.write_byte_data(0x40, 0x00, 0x10)  # sleep
    board.write_byte_data(0x40, 0xFE, 121)
    assert board.registers[0xFE] == 121


def test_without_auto_increment_every_byte_lands_on_one_register():
    board = EmulatedPCA9685()
    board.write_byte_data(0x40, 0x00, 0x00)
    board.i2c_rdwr(i2c_msg.write(0x40, [0x06, 1, 2, 3, 4]))
    assert list(board.registers[0x06:0x0A]) == [4, 0, 0, 0x10]
    board.write_byte_data(0x40, 0x00, 0x20)
    board.i2c_rdwr(i2c_msg.write(0x40, [0x06, 1, 2, 3, 4]))
    assert list(board.registers[0x06:0x0A]) == [1, 2, 3, 4]
    read = i2c_msg.read(0x40, 4)
    board.i2c_rdwr(i2c_msg.write(0x40, [0x06]), read)
    assert list(read) == [1, 2, 3, 4]


def test_all_led_registers_write_every_channel():
    board = EmulatedPCA9685()
    board.write_byte_data(0x40, 0x00, 0x20)
    board.i2c_rdwr(i2c_msg.write(0x40, [0xFA, 0, 0, 0x33, 0x01]))  # ALL_LED: on at 0, off at 307 ticks
    assert {round(board.pulse_us(ch)) for ch in range(16)} == {round(307 * 1e6 / board.frequency_hz() / 4096)}


def test_another_address_is_not_acknowledged():
    with pytest.raises(OSError):
        EmulatedPCA9685(address=0x40).read_byte_data(0x41, 0x00)
