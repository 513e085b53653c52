"""A PCA9685 at register level, in process: I2C cannot travel over a pseudo-terminal.

`EmulatedPCA9685` offers the `smbus2.SMBus` methods the driver uses (`read_byte_data`,
`write_byte_data`, `i2c_rdwr` with real `smbus2.i2c_msg` messages, `close`) and behaves as the
datasheet says: it powers up asleep with every output full off, ignores PRE_SCALE writes while
awake, auto-increments the register pointer only when MODE1's AI bit is set, and the ALL_LED
registers write every channel. Pass it as the driver's `open_i2c`. With `servos`, each channel's
pulse moves an emulated servo (raw units: microseconds).
"""

from __future__ import annotations

import errno

from smbus2 import i2c_msg
from smbus2.smbus2 import I2C_M_RD

from mirrorface.hardware.buses.pca9685 import (
    AUTO_INCREMENT,
    CHANNELS,
    FULL,
    LED0_ON_L,
    MODE1,
    MODE2,
    OSCILLATOR_HZ,
    PRE_SCALE,
    SLEEP,
    TICKS,
)
from mirrorface.hardware.emulators.base import EmulatedServos

ALL_LED_ON_L = 0xFA
POWER_ON = {MODE1: 0x11, MODE2: 0x04, PRE_SCALE: 0x1E}  # asleep, all-call; 200 Hz


class EmulatedPCA9685:
    """One PCA9685 at `address` on an emulated I2C bus."""

    def __init__(self, address: int = 0x40, servos: EmulatedServos | None = None):
        self.address = address
        self.servos = servos
        self.fail_next = 0  # the next this many transfers are NACKed (OSError, like a loose wire)
        self.transfers = 0  # I2C transfers seen (each i2c_rdwr call is one)
        self.closed = False
        self.power_on()

    def power_on(self) -> None:
        """The chip's reset state (also what a supply dip leaves behind)."""
        self.registers = bytearray(256)
        for register, value in POWER_ON.items():
            self.registers[register] = value
        for channel in range(CHANNELS):
            self.registers[LED0_ON_L + 4 * channel + 3] = FULL
        self._pointer = 0

    # -- what a reader of the board wants to know --------------------------------------------

    @property
    def asleep(self) -> bool:
        return bool(self.registers[MODE1] & SLEEP)

    def frequency_hz(self) -> float:
        return OSCILLATOR_HZ / (TICKS * (self.registers[PRE_SCALE] + 1))

    def pulse_us(self, channel: int) -> float:
        """The pulse width the channel sends now (0 when full off or asleep)."""
        on_l, on_h, off_l, off_h = self.registers[LED0_ON_L + 4 * channel:LED0_ON_L + 4 * channel + 4]
        if self.asleep or off_h & FULL:
            return 0.0
        if on_h & FULL:
            return 1e6 / self.frequency_hz()
        ticks = ((off_h & 0x0F) << 8 | off_l) - ((on_h & 0x0F) << 8 | on_l)
        return (ticks % TICKS) * 1e6 / self.frequency_hz() / TICKS

    # -- the smbus2.SMBus methods ------------------------------------------------------------

    def _transfer(self, address: int) -> None:
        if self.closed:
            raise OSError(errno.EBADF, "the bus is closed")
        self.transfers += 1
        if self.fail_next:
            self.fail_next -= 1
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        if address != self.address:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")  # nobody acknowledges the address

    def read_byte_data(self, address: int, register: int) -> int:
        self._transfer(address)
        return self.registers[register]

    def write_byte_data(self, address: int, register: int, value: int) -> None:
        self._transfer(address)
        self._write(register, [value])

    def i2c_rdwr(self, *messages: i2c_msg) -> None:
        self._transfer(messages[0].addr)
        for message in messages:
            if message.addr != self.address:
                raise OSError(errno.EREMOTEIO, "Remote I/O error")
            if message.flags & I2C_M_RD:
                for i in range(message.len):
                    message.buf[i] = bytes((self.registers[self._pointer],))
                    self._advance()
            else:
                data = list(message)
                self._pointer = data[0]
                self._write(data[0], data[1:])

    def close(self) -> None:
        self.closed = True

    # -- registers ---------------------------------------------------------------------------

    def _advance(self) -> None:
        if self.registers[MODE1] & AUTO_INCREMENT:
            self._pointer = (self._pointer + 1) % 256

    def _write(self, register: int, values: list[int]) -> None:
        self._pointer = register
        for value in values:
            self._store(self._pointer, value)
            self._advance()
        self._move_servos()

    def _store(self, register: int, value: int) -> None:
        if register == PRE_SCALE and not self.asleep:
            return  # the datasheet: PRE_SCALE is write-blocked while the oscillator runs
        if ALL_LED_ON_L <= register < PRE_SCALE:
            for channel in range(CHANNELS):
                self.registers[LED0_ON_L + 4 * channel + register - ALL_LED_ON_L] = value
        self.registers[register] = value

    def _move_servos(self) -> None:
        if self.servos is None:
            return
        for channel in range(CHANNELS):
            if self.servos.has(channel):
                pulse = self.pulse_us(channel)
                self.servos.set_torque(channel, pulse > 0)
                if pulse:
                    self.servos.set_goal(channel, pulse)
