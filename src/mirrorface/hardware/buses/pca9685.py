"""The PCA9685 16-channel PWM board on I2C, driving hobby servos at 50 Hz.

Raw units are microseconds of pulse width (1500 = a hobby servo's centre); the driver turns them
into the chip's 4096 ticks per period. A tick writes every face channel's LEDn_ON/OFF registers
in one I2C transaction (auto-increment: each run of consecutive channels is one message of
4 bytes per channel, all runs in one `i2c_rdwr`; SMBus block writes stop at 32 bytes = 8
channels), and reads MODE1 back in the same transaction to notice a board reset. Raw 0 sets a
channel's full-off bit: no pulses, which is how torque goes off.

There is no read-back: hobby servos have no feedback wire, so `has_feedback` is False and
`read_positions` returns what was last commanded (at connect, what the board's registers hold,
0 for a channel that sends no pulses). The chip's internal oscillator is only good to a few
percent; calibration measures in the microseconds this driver commands, so it absorbs that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from smbus2 import SMBus, i2c_msg

from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.bus import BusFault, MotorBus, register_bus
from mirrorface.hardware.buses.channels import channel_runs
from mirrorface.hardware.calibration import Calibration

MODE1, MODE2, LED0_ON_L, PRE_SCALE = 0x00, 0x01, 0x06, 0xFE
RESTART, AUTO_INCREMENT, SLEEP = 0x80, 0x20, 0x10  # MODE1 bits
OUTDRV = 0x04  # MODE2: totem-pole outputs, what servo signal lines want
FULL = 0x10  # bit 4 of LEDn_ON_H / LEDn_OFF_H: always on / always off
OSCILLATOR_HZ = 25_000_000
TICKS = 4096
SERVO_HZ = 50
DEFAULT_ADDRESS = 0x40
CHANNELS = 16
RESET = "the board was reset (a supply dip?): its outputs stopped"


def prescale_for(hz: float) -> int:
    """PRE_SCALE for a PWM frequency (datasheet eq. 1)."""
    return round(OSCILLATOR_HZ / (TICKS * hz)) - 1


def period_us(prescale: int) -> float:
    return 1e6 * (prescale + 1) * TICKS / OSCILLATOR_HZ


@register_bus("pca9685")
class PCA9685Bus(MotorBus):
    """Args: `open_i2c` opens `/dev/i2c-N` given N (smbus2's `SMBus`; tests pass an emulated board)."""

    has_feedback: ClassVar[bool] = False
    has_torque_control: ClassVar[bool] = True  # by stopping the pulses (full off)
    raw_limits: ClassVar[tuple[int, int]] = (0, 3000)  # 0 = no pulses; up to 3000 µs
    raw_step: ClassVar[int] = 10  # 10 µs

    def __init__(self, spec: FaceSpec, calibration: Calibration | None,
                 open_i2c: Callable[[int], SMBus] = SMBus):
        super().__init__(spec, calibration)
        self._open_i2c = open_i2c
        self.address = spec.bus.address if spec.bus.address is not None else DEFAULT_ADDRESS
        self.prescale = prescale_for(SERVO_HZ)
        self._us_per_tick = period_us(self.prescale) / TICKS
        self._runs = channel_runs(self.ids)
        self._i2c: SMBus | None = None
        self._commanded = np.zeros(len(self.ids), np.int64)
        self._last: np.ndarray | None = None  # last pulses, for switching torque back on

    def _where(self) -> str:
        return f"pca9685 at 0x{self.address:02x} on /dev/i2c-{self.spec.bus.i2c_bus}"

    def _retry(self, what: str, action: Callable[[], object]) -> object:
        """Run an I2C transfer, retrying a NACK or bus error up to `[bus] retries` times."""
        for _ in range(self.spec.bus.retries + 1):
            try:
                return action()
            except OSError as exc:
                error = exc
        raise BusFault(f"{self._where()}: {what} failed after {self.spec.bus.retries + 1} tries: {error}")

    def _open(self) -> None:
        bus = self.spec.bus
        if bus.i2c_bus is None:
            raise BusFault(f"face {self.spec.name!r}: a pca9685 bus needs `i2c_bus` in [bus] (N of /dev/i2c-N)")
        bad = [(n, c) for n, c in zip(self.spec.names, self.ids, strict=True) if not 0 <= c < CHANNELS]
        if bad:
            raise BusFault(f"face {self.spec.name!r}: pca9685 channels must be 0..15, got {bad}")
        try:
            self._i2c = self._open_i2c(bus.i2c_bus)
        except OSError as exc:
            raise BusFault(f"pca9685: cannot open /dev/i2c-{bus.i2c_bus}: {exc}") from None
        i2c, address = self._i2c, self.address
        self._retry("reading MODE1 (is the board wired and powered?)", lambda: i2c.read_byte_data(address, MODE1))

        def setup() -> None:
            # PRE_SCALE can only be written while the oscillator sleeps.
            i2c.write_byte_data(address, MODE1, SLEEP | AUTO_INCREMENT)
            i2c.write_byte_data(address, PRE_SCALE, self.prescale)
            i2c.write_byte_data(address, MODE2, OUTDRV)
            i2c.write_byte_data(address, MODE1, AUTO_INCREMENT)
            time.sleep(0.0005)  # the oscillator needs 500 µs to start
            i2c.write_byte_data(address, MODE1, AUTO_INCREMENT | RESTART)  # resume channels that were running

        self._retry("setting 50 Hz", setup)
        self._commanded = self._read_registers()

    def _read_registers(self) -> np.ndarray:
        """The pulse each face channel's registers command now (0: full off)."""
        pulses = np.zeros(len(self.ids), np.int64)
        for run in self._runs:
            start = LED0_ON_L + 4 * self.ids[run[0]]
            write, read = i2c_msg.write(self.address, [start]), i2c_msg.read(self.address, 4 * len(run))
            self._retry("reading the channel registers", lambda w=write, r=read: self._i2c.i2c_rdwr(w, r))
            data = list(read)
            for j, k in enumerate(run):
                on_l, on_h, off_l, off_h = data[4 * j:4 * j + 4]
                if not off_h & FULL:
                    ticks = ((off_h & 0x0F) << 8 | off_l) - ((on_h & 0x0F) << 8 | on_l)
                    pulses[k] = round((ticks % TICKS) * self._us_per_tick)
        return pulses

    def _close(self) -> None:
        if self._i2c is not None:
            self._i2c.close()
            self._i2c = None

    def _channel_bytes(self, us: int) -> list[int]:
        if us == 0:
            return [0, 0, 0, FULL]
        ticks = min(round(us / self._us_per_tick), TICKS - 1)
        return [0, 0, ticks & 0xFF, ticks >> 8]  # on at tick 0, off after the pulse

    def _write_raw(self, raw: np.ndarray) -> None:
        if self._i2c is None:
            raise BusFault(f"face {self.spec.name!r}: the pca9685 bus is not connected")
        messages = []
        for run in self._runs:
            data = [LED0_ON_L + 4 * self.ids[run[0]]]
            for k in run:
                data += self._channel_bytes(int(raw[k]))
            messages.append(i2c_msg.write(self.address, data))
        # MODE1 is read back in the same transaction: a board reset by a supply dip wakes asleep,
        # its outputs off, and would otherwise leave the face limp without a word.
        mode1 = i2c_msg.read(self.address, 1)
        messages += [i2c_msg.write(self.address, [MODE1]), mode1]
        self._retry(f"writing the pulses of channels {sorted(self.ids)}", lambda: self._i2c.i2c_rdwr(*messages))
        if list(mode1)[0] & SLEEP:
            raise BusFault(f"{self._where()}: {RESET}")
        self._commanded = np.array(raw, np.int64)
        if self._commanded.any():
            self._last = self._commanded.copy()

    def _read_raw(self) -> np.ndarray:
        return self._commanded.copy()

    def _set_torque(self, enabled: bool) -> None:
        if not enabled:
            self._write_raw(np.zeros(len(self.ids), np.int64))
        elif self._last is not None:
            self._write_raw(self._last)

    def read_faults(self) -> dict[str, str]:
        """A board reset by a supply dip wakes asleep with its outputs off: that is the fault it can show."""
        mode1 = self._retry("reading MODE1", lambda: self._i2c.read_byte_data(self.address, MODE1))
        return {"pca9685": RESET} if mode1 & SLEEP else {}
