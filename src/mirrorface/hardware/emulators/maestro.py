"""A Pololu Maestro answering its serial protocols byte for byte: compact, and Pololu (0xAA).

Commands: Set Target, Set Multiple Targets (not on the Micro Maestro 6, which flags it as a
protocol error like the real board), Set Speed and Set Acceleration (accepted; the emulated
servos' own dynamics limit their speed), Get Position, Get Moving State, Get Errors, Go Home.
Get Position reports the pulse being sent, as a real Maestro does; the emulated servos behind the
channels move with the simulator's dynamics (what an attached simulated camera sees).

Injected faults: `timeout`, the board stops answering (and acting); `checksum`, the compact
protocol has none, so replies arrive garbled instead (every byte 0xFF, a value no reply can
hold); `overload`, a Maestro cannot sense one, so the closest thing it reports is raised: the
serial signal error bit, which a sagging supply under a stalled servo causes; `disconnect`, the
port closes.
"""

from __future__ import annotations

from typing import ClassVar, TextIO

from mirrorface.hardware.buses.maestro import (
    ERRORS,
    GET_ERRORS,
    GET_POSITION,
    PROTOCOL_ERROR,
    SET_MULTIPLE_TARGETS,
    SET_TARGET,
)
from mirrorface.hardware.emulators.base import EmulatedServos, Fault, WireProtocol, register_emulator

SET_SPEED = 0x87
SET_ACCELERATION = 0x89
GET_MOVING_STATE = 0x93
GO_HOME = 0xA2
POLOLU = 0xAA  # start of a Pololu-protocol packet: 0xAA, device number, command without its top bit
OVERLOAD_STANDIN = 1 << ERRORS.index("serial signal error")
#: Data bytes after the command byte (Set Multiple Targets: 2 + 2 per target, read from the packet).
DATA_BYTES = {SET_TARGET: 3, SET_SPEED: 3, SET_ACCELERATION: 3, GET_POSITION: 1,
              GET_MOVING_STATE: 0, GET_ERRORS: 0, GO_HOME: 0}
#: Channel count and Set Multiple Targets support of each Maestro model.
MODELS = {"micro6": (6, False), "mini12": (12, True), "mini18": (18, True), "mini24": (24, True)}


@register_emulator("maestro")
class MaestroProtocol(WireProtocol):
    """A Maestro of `model` (see `MODELS`) answering on `device_number` in the Pololu protocol."""

    raw_limits: ClassVar[tuple[int, int]] = (4 * 500, 4 * 2500)  # a hobby servo's 500..2500 µs

    def __init__(self, servos: EmulatedServos, log: TextIO | None = None, model: str = "mini24",
                 device_number: int = 12):
        super().__init__(servos, log)
        self.channels, self.multiple_targets = MODELS[model]
        self.device_number = device_number
        # Servos start where they rest, as after the Maestro's "go to" home setting.
        self.targets = [servos.present(c) if servos.has(c) else 0 for c in range(self.channels)]
        self.errors = 0
        self._buffer = bytearray()

    def inject(self, fault: Fault) -> None:
        super().inject(fault)
        if fault is Fault.overload:
            self.errors |= OVERLOAD_STANDIN

    def feed(self, data: bytes) -> bytes:
        if self.fault is Fault.timeout:  # a dead board neither acts nor answers
            return b""
        self._buffer += data
        reply = bytearray()
        while self._buffer:
            used, answer = self._packet(self._buffer)
            if not used:  # incomplete: wait for more bytes
                break
            del self._buffer[:used]
            reply += answer
        if self.fault is Fault.checksum:
            return bytes(b"\xff" * len(reply))
        return bytes(reply)

    def _packet(self, buf: bytearray) -> tuple[int, bytes]:
        """(bytes used, reply) for the packet at the start of `buf`; (0, b"") when incomplete."""
        if buf[0] < 0x80:  # a data byte without a command
            self.errors |= PROTOCOL_ERROR
            return 1, b""
        if buf[0] != POLOLU:
            return self._command(buf, 1, buf[0], act=True)
        if len(buf) < 2:
            return 0, b""
        if buf[1] >= 0x80:  # a lone 0xAA is the baud-rate detection byte
            return 1, b""
        if len(buf) < 3:
            return 0, b""
        if buf[2] >= 0x80:
            self.errors |= PROTOCOL_ERROR
            return 2, b""
        return self._command(buf, 3, buf[2] | 0x80, act=buf[1] == self.device_number)

    def _command(self, buf: bytearray, start: int, command: int, act: bool) -> tuple[int, bytes]:
        if command == SET_MULTIPLE_TARGETS and self.multiple_targets:
            if len(buf) < start + 2:
                return 0, b""
            size = 2 + 2 * buf[start]
        elif command in DATA_BYTES:
            size = DATA_BYTES[command]
        else:  # unknown here; its data bytes then count as strays
            self.errors |= PROTOCOL_ERROR
            return start, b""
        data = buf[start:start + size]
        stray = next((i for i, b in enumerate(data) if b >= 0x80), None)
        if stray is not None:  # a command byte cut this packet short
            self.errors |= PROTOCOL_ERROR
            return start + stray, b""
        if len(data) < size:
            return 0, b""
        return start + size, self._act(command, bytes(data)) if act else b""

    def _act(self, command: int, data: bytes) -> bytes:
        if command == SET_TARGET:
            self._set_targets(data[0], [data[1] | data[2] << 7])
        elif command == SET_MULTIPLE_TARGETS:
            self._set_targets(data[1], [data[i] | data[i + 1] << 7 for i in range(2, len(data), 2)])
        elif command == GET_POSITION:
            if data[0] >= self.channels:
                self.errors |= PROTOCOL_ERROR
                return b""
            return self.targets[data[0]].to_bytes(2, "little")
        elif command == GET_MOVING_STATE:
            return b"\x00"  # targets are reached at once: no speed or acceleration limits emulated
        elif command == GET_ERRORS:
            bits = self.errors | (OVERLOAD_STANDIN if self.fault is Fault.overload else 0)
            self.errors = 0
            return bits.to_bytes(2, "little")
        elif command == GO_HOME:  # the default home setting: pulses off
            self._set_targets(0, [0] * self.channels)
        return b""

    def _set_targets(self, first: int, values: list[int]) -> None:
        if first + len(values) > self.channels:
            self.errors |= PROTOCOL_ERROR
            return
        goals = {}
        for channel, value in enumerate(values, start=first):
            self.targets[channel] = value
            if self.servos.has(channel):
                self.servos.set_torque(channel, value != 0)  # no pulses: the servo goes limp
                if value:
                    self.servos.set_goal(channel, value)
                goals[channel] = value
        self._received(goals)
