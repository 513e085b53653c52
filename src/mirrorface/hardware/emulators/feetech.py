"""Feetech STS (SCS protocol, little-endian words), byte for byte, with the STS3215's control table.

Instruction packet: FF FF | ID | LEN | INST | PARAMS | CHECKSUM, where LEN counts INST..CHECKSUM
and CHECKSUM = ~(ID + LEN + INST + PARAMS) & 0xFF. Status packets carry an ERROR byte in place
of INST (bit 0 voltage, 1 angle sensor, 2 overheat, 3 over-current, 5 overload). A packet with a
bad checksum is ignored, as the servos do. Reference: Feetech's "SCS/STS communication protocol"
and its SDK (`scservo_sdk`).
"""

from __future__ import annotations

from mirrorface.hardware.emulators.base import ControlTableLayout, Register, RegisterProtocol, register_emulator

BROADCAST = 0xFE
PING, READ, WRITE, SYNC_READ, SYNC_WRITE = 0x01, 0x02, 0x03, 0x82, 0x83

STS3215 = ControlTableLayout(
    model=Register(3, 2), model_number=777, id=Register(5, 1), torque=Register(40, 1),
    goal=Register(42, 2), present=Register(56, 2), hardware_error=Register(65, 1),
    overload_bit=0x20,
)


def checksum(body: bytes) -> int:
    return ~sum(body) & 0xFF


def packet(servo_id: int, first: int, params: bytes = b"") -> bytes:
    """A whole packet: `first` is the instruction (requests) or the error byte (status)."""
    body = bytes([servo_id, len(params) + 2, first]) + params
    return b"\xff\xff" + body + bytes([checksum(body)])


@register_emulator("feetech")
class FeetechProtocol(RegisterProtocol):
    layout = STS3215

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        replies = bytearray()
        while True:
            start = self._buffer.find(b"\xff\xff")
            if start < 0:
                del self._buffer[:-1]
                break
            del self._buffer[:start]
            if len(self._buffer) > 2 and self._buffer[2] == 0xFF:  # FF FF FF: the header starts one later
                del self._buffer[0]
                continue
            if len(self._buffer) < 4:
                break
            total = 4 + self._buffer[3]
            if len(self._buffer) < total:
                break
            frame = bytes(self._buffer[:total])
            del self._buffer[:total]
            if checksum(frame[2:-1]) == frame[-1]:
                replies += self._answer(frame[2], frame[4], frame[5:-1])
        return bytes(replies)

    def _status(self, servo_id: int, params: bytes = b"") -> bytes:
        return self._out(packet(servo_id, self.table.hardware_error(servo_id) & 0x7F, params))

    def _answer(self, servo_id: int, inst: int, params: bytes) -> bytes:
        if inst == SYNC_WRITE:
            self._sync_write(params)
            return b""
        if inst == SYNC_READ:
            address, length = params[0], params[1]
            return b"".join(self._status(i, self.table.read(i, address, length))
                            for i in params[2:] if self.servos.has(i))
        if not self.servos.has(servo_id):
            return b""
        if inst == PING:
            return self._status(servo_id)
        if inst == READ and self.table.fits(params[0], params[1]):
            return self._status(servo_id, self.table.read(servo_id, params[0], params[1]))
        if inst == WRITE and self.table.fits(params[0], len(params) - 1):
            goal = self.table.write(servo_id, params[0], params[1:])
            if goal is not None:
                self._received({servo_id: goal})
            return self._status(servo_id)
        return b""

    def _sync_write(self, params: bytes) -> None:
        address, length = params[0], params[1]
        goals = {}
        for at in range(2, len(params) - length, length + 1):
            servo_id, data = params[at], params[at + 1:at + 1 + length]
            if self.servos.has(servo_id):
                goal = self.table.write(servo_id, address, data)
                if goal is not None:
                    goals[servo_id] = goal
        self._received(goals)
