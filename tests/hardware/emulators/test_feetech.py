"""The Feetech STS emulator, held to Feetech's official SDK (`scservo_sdk`) over a real pseudo-terminal."""

import time

import pytest
import scservo_sdk as sc

from mirrorface.hardware.emulators.base import Fault, emulate
from mirrorface.hardware.emulators.feetech import checksum, packet


@pytest.fixture
def wire(lips10):
    with emulate("feetech", lips10) as emulator:
        port = sc.PortHandler(emulator.port)
        assert port.openPort() and port.setBaudRate(1_000_000)
        yield emulator, port, sc.PacketHandler(0)
        port.closePort()


def test_checksum_matches_the_protocol():
    # A ping of ID 1: FF FF 01 02 01 FB (checksum = ~(1 + 2 + 1)).
    assert packet(1, 0x01) == bytes.fromhex("ffff010201fb")
    assert checksum(b"\x01\x02\x01") == 0xFB


def test_ping_read_write_with_the_official_sdk(wire):
    emulator, port, ph = wire
    assert ph.ping(port, 3) == (777, sc.COMM_SUCCESS, 0)
    assert ph.ping(port, 42)[1] == sc.COMM_RX_TIMEOUT
    servos = emulator.protocol.servos
    start, result, _ = ph.read2ByteTxRx(port, 3, 56)
    assert result == sc.COMM_SUCCESS and start == servos.present(3)
    assert ph.write2ByteTxRx(port, 3, 42, start + 300)[0] == sc.COMM_SUCCESS
    time.sleep(0.4)
    moved, _, _ = ph.read2ByteTxRx(port, 3, 56)
    assert abs(moved - (start + 300)) < abs(moved - start)


def test_sync_write_then_sync_read(wire):
    emulator, port, ph = wire
    ids = emulator.protocol.servos.ids
    writer, reader = sc.GroupSyncWrite(port, ph, 42, 2), sc.GroupSyncRead(port, ph, 56, 2)
    goals = {i: 2048 + 10 * i for i in ids}
    for i in ids:
        writer.addParam(i, list(goals[i].to_bytes(2, "little")))
        reader.addParam(i)
    assert writer.txPacket() == sc.COMM_SUCCESS
    assert reader.txRxPacket() == sc.COMM_SUCCESS
    table = emulator.protocol.table
    assert {i: int.from_bytes(table.memory[i][42:44], "little") for i in ids} == goals
    assert [reader.getData(i, 56, 2) for i in ids] == [int.from_bytes(table.memory[i][56:58], "little") for i in ids]


@pytest.mark.parametrize(("fault", "result"), [(Fault.timeout, sc.COMM_RX_TIMEOUT),
                                               (Fault.checksum, sc.COMM_RX_CORRUPT)])
def test_wire_faults_reach_the_sdk(wire, fault, result):
    emulator, port, ph = wire
    emulator.protocol.inject(fault)
    assert ph.ping(port, 1)[1] == result


def test_overload_sets_the_error_bit_and_the_status_register(wire):
    emulator, port, ph = wire
    emulator.protocol.inject(Fault.overload)
    first = emulator.protocol.servos.ids[0]
    _, result, error = ph.read2ByteTxRx(port, first, 56)
    assert result == sc.COMM_SUCCESS and error == 0x20
    assert ph.read1ByteTxRx(port, first, 65)[0] == 0x20
    assert ph.read1ByteTxRx(port, first, 40)[0] == 0  # torque released
