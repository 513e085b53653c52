"""The Dynamixel emulator, held to ROBOTIS's official SDK as the client over a real pseudo-terminal."""

import time

import dynamixel_sdk as dx
import pytest

from mirrorface.hardware.emulators.base import Fault, emulate
from mirrorface.hardware.emulators.dynamixel import crc16, packet, stuff, unstuff


@pytest.fixture
def wire(lips10):
    """(emulator, port, packet handler) with the SDK's port open on the emulator's pty."""
    with emulate("dynamixel", lips10) as emulator:
        port = dx.PortHandler(emulator.port)
        assert port.openPort() and port.setBaudRate(1_000_000)
        yield emulator, port, dx.PacketHandler(2.0)
        port.closePort()


def test_crc_and_stuffing_match_the_e_manual():
    # The e-Manual's ping of ID 1: FF FF FD 00 01 03 00 01 | CRC 19 4E.
    assert packet(1, b"\x01") == bytes.fromhex("fffffd0001030001194e")
    assert crc16(bytes.fromhex("fffffd0001030001")) == 0x4E19
    body = b"\x03\xff\xff\xfd\x00"
    assert stuff(body) == b"\x03\xff\xff\xfd\xfd\x00" and unstuff(stuff(body)) == body


def test_ping_read_write_with_the_official_sdk(wire, lips10):
    emulator, port, ph = wire
    model, result, error = ph.ping(port, 3)
    assert (model, result, error) == (1020, dx.COMM_SUCCESS, 0)
    assert ph.ping(port, 42)[1] == dx.COMM_RX_TIMEOUT  # no such servo: silence, as on the bus
    servos = emulator.protocol.servos
    start, result, _ = ph.read4ByteTxRx(port, 3, 132)
    assert result == dx.COMM_SUCCESS and start == servos.present(3)
    assert ph.write4ByteTxRx(port, 3, 116, start + 300)[0] == dx.COMM_SUCCESS
    time.sleep(0.4)
    moved, _, _ = ph.read4ByteTxRx(port, 3, 132)
    assert abs(moved - (start + 300)) < abs(moved - start)


def test_byte_stuffing_survives_a_round_trip_through_the_sdk(wire):
    _, port, ph = wire
    data = [0xFF, 0xFF, 0xFD, 0x00]  # a header inside the payload: the SDK stuffs it, the emulator must not
    assert ph.writeTxRx(port, 1, 200, 4, data)[0] == dx.COMM_SUCCESS
    read, result, _ = ph.readTxRx(port, 1, 200, 4)
    assert result == dx.COMM_SUCCESS and list(read) == data


def test_sync_write_then_sync_read(wire, lips10):
    emulator, port, ph = wire
    ids = emulator.protocol.servos.ids
    writer, reader = dx.GroupSyncWrite(port, ph, 116, 4), dx.GroupSyncRead(port, ph, 132, 4)
    goals = {i: 2048 + 10 * i for i in ids}
    for i in ids:
        writer.addParam(i, list(goals[i].to_bytes(4, "little")))
        reader.addParam(i)
    assert writer.txPacket() == dx.COMM_SUCCESS
    assert reader.txRxPacket() == dx.COMM_SUCCESS
    table = emulator.protocol.table
    assert {i: int.from_bytes(table.memory[i][116:120], "little") for i in ids} == goals
    assert [reader.getData(i, 132, 4) for i in ids] == [int.from_bytes(table.memory[i][132:136], "little")
                                                         for i in ids]


@pytest.mark.parametrize(("fault", "result"), [(Fault.timeout, dx.COMM_RX_TIMEOUT),
                                               (Fault.checksum, dx.COMM_RX_CORRUPT)])
def test_wire_faults_reach_the_sdk(wire, fault, result):
    emulator, port, ph = wire
    emulator.protocol.inject(fault)
    assert ph.ping(port, 1)[1] == result


def test_overload_sets_the_alert_bit_and_register_70(wire):
    emulator, port, ph = wire
    emulator.protocol.inject(Fault.overload)
    first = emulator.protocol.servos.ids[0]
    _, result, error = ph.read4ByteTxRx(port, first, 132)
    assert result == dx.COMM_SUCCESS and error & 0x80
    assert ph.read1ByteTxRx(port, first, 70)[0] == 0x20  # overload
    assert ph.read1ByteTxRx(port, first, 64)[0] == 0  # and the servo let go
    assert ph.read4ByteTxRx(port, first + 1, 132)[2] == 0  # the others are fine
