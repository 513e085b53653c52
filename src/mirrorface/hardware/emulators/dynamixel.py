"""Dynamixel Protocol 2.0, byte for byte, for X-series servos (XM430's control table).

Instruction packet: FF FF FD 00 | ID | LEN_L LEN_H | INST | PARAMS | CRC_L CRC_H, where LEN
counts INST..CRC and any FF FF FD inside INST..PARAMS is stuffed as FF FF FD FD. Status packets
are the same with INST = 0x55 followed by an ERROR byte (bit 7: the servo has a hardware error,
whose cause is in register 70). The CRC is CRC-16/BUYPASS (polynomial 0x8005, initial 0) over the
stuffed packet up to the CRC. Reference: the ROBOTIS e-Manual, "DYNAMIXEL Protocol 2.0".
"""

from __future__ import annotations

from mirrorface.hardware.emulators.base import ControlTableLayout, Register, RegisterProtocol, register_emulator

HEADER = b"\xff\xff\xfd\x00"
BROADCAST = 0xFE
PING, READ, WRITE, REBOOT, STATUS, SYNC_READ, SYNC_WRITE = 0x01, 0x02, 0x03, 0x08, 0x55, 0x82, 0x83
ERR_CRC, ERR_INSTRUCTION, ERR_ACCESS = 3, 2, 7
ALERT = 0x80
FIRMWARE = 52

XM430 = ControlTableLayout(
    model=Register(0, 2), model_number=1020, id=Register(7, 1), torque=Register(64, 1),
    hardware_error=Register(70, 1), goal=Register(116, 4), present=Register(132, 4),
    overload_bit=0x20,  # bit 5: overload (bit 0 voltage, 2 overheating, 3 encoder, 4 electrical shock)
)


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]) & 0xFFFF
    return crc


def stuff(body: bytes) -> bytes:
    """Insert FD after every FF FF FD, so the body can never look like a header."""
    return body.replace(b"\xff\xff\xfd", b"\xff\xff\xfd\xfd")


def unstuff(body: bytes) -> bytes:
    return body.replace(b"\xff\xff\xfd\xfd", b"\xff\xff\xfd")


def packet(servo_id: int, body: bytes) -> bytes:
    """A whole packet around an unstuffed INST..PARAMS body (instruction or status)."""
    stuffed = stuff(body)
    head = HEADER + bytes([servo_id]) + (len(stuffed) + 2).to_bytes(2, "little")
    frame = head + stuffed
    return frame + crc16(frame).to_bytes(2, "little")


@register_emulator("dynamixel")
class DynamixelProtocol(RegisterProtocol):
    layout = XM430

    def __init__(self, servos, log=None):
        super().__init__(servos, log)
        for mem in self.table.memory.values():
            mem[6] = FIRMWARE

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        replies = bytearray()
        while True:
            start = self._buffer.find(HEADER)
            if start < 0:
                del self._buffer[:-3]  # keep a possible partial header
                break
            del self._buffer[:start]
            if len(self._buffer) < 7:
                break
            total = 7 + int.from_bytes(self._buffer[5:7], "little")
            if len(self._buffer) < total:
                break
            frame = bytes(self._buffer[:total])
            del self._buffer[:total]
            replies += self._answer(frame)
        return bytes(replies)

    def _status(self, servo_id: int, error: int = 0, params: bytes = b"") -> bytes:
        if self.table.hardware_error(servo_id):
            error |= ALERT
        return self._out(packet(servo_id, bytes([STATUS, error]) + params))

    def _answer(self, frame: bytes) -> bytes:
        servo_id = frame[4]
        mine = self.servos.has(servo_id)
        if crc16(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
            return self._status(servo_id, ERR_CRC) if mine else b""
        body = unstuff(frame[7:-2])
        inst, params = body[0], body[1:]
        if inst == SYNC_WRITE:
            self._sync_write(params)
            return b""
        if inst == SYNC_READ:
            return self._sync_read(params)
        if servo_id == BROADCAST and inst == PING:
            return b"".join(self._status(i, 0, self._ping(i)) for i in self.servos.ids)
        if not mine:
            return b""
        if inst == PING:
            return self._status(servo_id, 0, self._ping(servo_id))
        if inst == READ:
            address, length = int.from_bytes(params[0:2], "little"), int.from_bytes(params[2:4], "little")
            if not self.table.fits(address, length):
                return self._status(servo_id, ERR_ACCESS)
            return self._status(servo_id, 0, self.table.read(servo_id, address, length))
        if inst == WRITE:
            address, data = int.from_bytes(params[0:2], "little"), params[2:]
            if not self.table.fits(address, len(data)):
                return self._status(servo_id, ERR_ACCESS)
            goal = self.table.write(servo_id, address, data)
            if goal is not None:
                self._received({servo_id: goal})
            return self._status(servo_id)
        return self._status(servo_id, ERR_INSTRUCTION)

    def _ping(self, servo_id: int) -> bytes:
        return self.table.read(servo_id, 0, 2) + bytes([FIRMWARE])

    def _sync_read(self, params: bytes) -> bytes:
        address, length = int.from_bytes(params[0:2], "little"), int.from_bytes(params[2:4], "little")
        # Each addressed servo answers in the order asked, as on the real bus.
        return b"".join(self._status(i, 0, self.table.read(i, address, length))
                        for i in params[4:] if self.servos.has(i))

    def _sync_write(self, params: bytes) -> None:
        address, length = int.from_bytes(params[0:2], "little"), int.from_bytes(params[2:4], "little")
        goals = {}
        for at in range(4, len(params) - length, length + 1):
            servo_id, data = params[at], params[at + 1:at + 1 + length]
            if self.servos.has(servo_id) and len(data) == length:
                goal = self.table.write(servo_id, address, data)
                if goal is not None:
                    goals[servo_id] = goal
        self._received(goals)
