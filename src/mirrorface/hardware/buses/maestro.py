"""Pololu Maestro servo controllers over a serial port, in the compact protocol.

Raw units are the Maestro's: quarter-microseconds of pulse width (6000 = 1500 µs, a hobby
servo's centre). A tick is one Set Multiple Targets packet per run of consecutive channels (Mini
Maestro 12/18/24); the Micro Maestro 6 lacks that command, so `connect` probes for it and falls
back to one Set Target per channel. Positions come from Get Position, all channels asked in one
write with a Get Errors after them, so a board error ends the run like a servo's hardware-error
bit: the Maestro reports the pulse it is sending, not where the horn is (hobby servos have no
feedback wire), so `has_feedback` is False. A target of 0 stops a channel's pulses, which is how
torque goes off: most analog servos then go limp, some digital ones hold their last position.

The compact protocol has no checksum on replies. A reply that cannot be right (a position above
the 14 bits a target can carry, an error bit the Maestro does not define) counts as corrupt and is
asked again, like a missing one, up to `[bus] retries` times.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import serial

from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.bus import BusFault, MotorBus, register_bus
from mirrorface.hardware.buses.channels import channel_runs
from mirrorface.hardware.calibration import Calibration

SET_TARGET = 0x84
SET_MULTIPLE_TARGETS = 0x9F
GET_POSITION = 0x90
GET_ERRORS = 0xA1
MAX_TARGET = 0x3FFF  # targets travel as two 7-bit bytes
#: Get Errors bits, lowest first (Pololu Maestro user's guide, "Errors").
ERRORS = ("serial signal error", "serial overrun error", "serial buffer full", "serial CRC error",
          "serial protocol error", "serial timeout error", "script stack error",
          "script call stack error", "script program counter error")
PROTOCOL_ERROR = 1 << ERRORS.index("serial protocol error")
DEFAULT_BAUDRATE = 115200
# pyserial fails a write that took longer than this even when every byte went out, so it is not the
# reply timeout: a few ms of scheduling delay on a busy host must not end a run; a stuck port must.
WRITE_TIMEOUT_S = 1.0


def error_names(bits: int) -> list[str]:
    return [name for i, name in enumerate(ERRORS) if bits >> i & 1]


def target_bytes(value: int) -> bytes:
    return bytes((value & 0x7F, value >> 7 & 0x7F))


@register_bus("maestro")
class MaestroBus(MotorBus):
    has_feedback: ClassVar[bool] = False
    has_torque_control: ClassVar[bool] = True  # by stopping the pulses (target 0)
    raw_limits: ClassVar[tuple[int, int]] = (0, 4 * 3000)  # 0 = no pulses; up to 3000 µs
    raw_step: ClassVar[int] = 4 * 10  # 10 µs

    def __init__(self, spec: FaceSpec, calibration: Calibration | None):
        super().__init__(spec, calibration)
        self._runs = channel_runs(self.ids)
        self.port: serial.Serial | None = None  # the open serial port (the SDK buses name theirs `port` too)
        self.multiple_targets = True  # False on a Micro Maestro 6 (found out by `connect`)
        self._last: np.ndarray | None = None  # last targets, for switching torque back on

    # -- the wire ---------------------------------------------------------------------------

    def _open(self) -> None:
        bus = self.spec.bus
        if not bus.port:
            raise BusFault(f"face {self.spec.name!r}: a maestro bus needs `port` in [bus] (e.g. /dev/ttyACM0)")
        bad = [(n, c) for n, c in zip(self.spec.names, self.ids, strict=True) if not 0 <= c < 24]
        if bad:
            raise BusFault(f"face {self.spec.name!r}: maestro channels must be 0..23, got {bad}")
        baudrate = bus.baudrate or DEFAULT_BAUDRATE
        # The longest exchange is every position and the errors at once: its wire time plus the reply wait.
        wire_s = (4 * len(self.ids) + 3) * 10 / baudrate
        try:
            self.port = serial.Serial(bus.port, baudrate, timeout=bus.timeout_ms / 1000 + wire_s,
                                       write_timeout=WRITE_TIMEOUT_S)
        except (serial.SerialException, ValueError) as exc:
            raise BusFault(f"maestro: cannot open {bus.port}: {exc}") from None
        self._errors()  # read and so clear what happened before we came
        positions = self._read_raw()  # every channel answers, or the fault names the first that does not
        self.multiple_targets = self._probe_multiple_targets(positions)

    def _probe_multiple_targets(self, positions: np.ndarray) -> bool:
        """Resend the present targets as Set Multiple Targets: a board without it flags a protocol error.

        Harmless either way: a Micro Maestro skips the data bytes of a command it does not know.
        """
        self._send(self._multiple_targets_packet(positions))
        return not self._errors() & PROTOCOL_ERROR

    def _close(self) -> None:
        if self.port is not None:
            self.port.close()
            self.port = None

    def _send(self, packet: bytes) -> None:
        if self.port is None:
            raise BusFault(f"face {self.spec.name!r}: the maestro bus is not connected")
        try:
            self.port.write(packet)
        except (serial.SerialException, OSError) as exc:
            raise BusFault(f"maestro: lost the port {self.spec.bus.port}: {exc}") from None

    def _ask(self, request: bytes, size: int, attempt: int) -> bytes:
        """Send a request and read up to `size` reply bytes (fewer when the Maestro stays silent)."""
        if attempt and self.port is not None:  # a late reply to the previous try must not count for this one
            self.port.reset_input_buffer()
        self._send(request)
        try:
            return self.port.read(size)
        except (serial.SerialException, OSError) as exc:
            raise BusFault(f"maestro: lost the port {self.spec.bus.port}: {exc}") from None

    def _tries(self) -> str:
        bus = self.spec.bus
        return f"after {bus.retries + 1} tries (timeout {bus.timeout_ms:g} ms)"

    # -- packets ----------------------------------------------------------------------------

    def _multiple_targets_packet(self, raw: np.ndarray) -> bytes:
        packet = bytearray()
        for run in self._runs:
            packet += bytes((SET_MULTIPLE_TARGETS, len(run), self.ids[run[0]]))
            for k in run:
                packet += target_bytes(int(raw[k]))
        return bytes(packet)

    def _targets_packet(self, raw: np.ndarray) -> bytes:
        if self.multiple_targets:
            return self._multiple_targets_packet(raw)
        return b"".join(bytes((SET_TARGET, c)) + target_bytes(int(v)) for c, v in zip(self.ids, raw, strict=True))

    # -- raw operations ---------------------------------------------------------------------

    def _write_raw(self, raw: np.ndarray) -> None:
        self._send(self._targets_packet(raw))
        self._last = np.array(raw, np.int64)

    def _read_raw(self) -> np.ndarray:
        """Every channel's Get Position, then Get Errors, in one write: an error bit is a fault."""
        request = b"".join(bytes((GET_POSITION, c)) for c in self.ids) + bytes((GET_ERRORS,))
        n = len(self.ids)
        for attempt in range(self.spec.bus.retries + 1):
            reply = self._ask(request, 2 * n + 2, attempt)
            values = [int.from_bytes(reply[i:i + 2], "little") for i in range(0, len(reply) - 1, 2)]
            corrupt = next((k for k, v in enumerate(values[:n]) if v > MAX_TARGET), None)
            if corrupt is None and len(values) == n + 1:
                if values[n] >> len(ERRORS) == 0:
                    if values[n]:
                        raise BusFault(f"maestro on {self.spec.bus.port}: {', '.join(error_names(values[n]))}")
                    return np.array(values[:n], np.int64)
                corrupt = n
        # After the last try: name what failed (a lost reply is pinned on its channel only now, as
        # asking each channel alone costs a timeout per silent one).
        slot, problem = (corrupt, "a corrupt reply") if corrupt is not None else (self._silent(), "no reply")
        what = "Get Errors" if slot == n else "Get Position"
        where = (f"maestro on {self.spec.bus.port}" if slot == n
                 else f"maestro channel {self.ids[slot]} ({self.spec.names[slot]})")
        raise BusFault(f"{where}: {problem} to {what} {self._tries()}")

    def _silent(self) -> int:
        """The first channel that does not answer on its own (a lost reply shifts the others, so the
        combined reply cannot tell); len(ids) when each does."""
        for k, channel in enumerate(self.ids):
            if len(self._ask(bytes((GET_POSITION, channel)), 2, attempt=1)) < 2:
                return k
        return len(self.ids)

    def _errors(self) -> int:
        """The Maestro's error bits (reading them clears them)."""
        for attempt in range(self.spec.bus.retries + 1):
            reply = self._ask(bytes((GET_ERRORS,)), 2, attempt)
            bits = int.from_bytes(reply, "little")
            if len(reply) == 2 and bits >> len(ERRORS) == 0:
                return bits
            problem = "a corrupt reply" if len(reply) == 2 else "no reply"
        raise BusFault(f"maestro on {self.spec.bus.port}: {problem} to Get Errors {self._tries()}")

    def _set_torque(self, enabled: bool) -> None:
        if not enabled:
            self._send(self._targets_packet(np.zeros(len(self.ids), np.int64)))
        elif self._last is not None:  # pulses resume at the last targets
            self._send(self._targets_packet(self._last))

    def read_faults(self) -> dict[str, str]:
        """The Maestro's errors are the board's, not a channel's: reported under "maestro"."""
        names = error_names(self._errors())
        return {"maestro": ", ".join(names)} if names else {}
