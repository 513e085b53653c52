"""The Maestro emulator against pyserial over a real pseudo-terminal, with the byte sequences of
Pololu's user guide (section "Command Protocols") rather than our driver's packets."""

from __future__ import annotations

import serial

from mirrorface.hardware.emulators.base import Fault
from mirrorface.hardware.emulators.maestro import MaestroProtocol


def ask(port: serial.Serial, request: bytes, size: int) -> bytes:
    port.write(request)
    return port.read(size)


def test_compact_set_target_and_get_position(lips10, maestro_emulator):
    with maestro_emulator(lips10) as (protocol, port), serial.Serial(port, 115200, timeout=0.5) as client:
        client.write(bytes([0x84, 0x00, 0x70, 0x2E]))  # channel 0 to 1500 µs (6000 quarter-µs)
        assert ask(client, bytes([0x90, 0x00]), 2) == bytes([0x70, 0x17])
        assert protocol.servos.dynamics.target[0] == protocol.servos._to_norm(0, 6000)


def test_set_multiple_targets_moves_consecutive_channels(lips10, maestro_emulator):
    with maestro_emulator(lips10) as (protocol, port), serial.Serial(port, 115200, timeout=0.5) as client:
        client.write(bytes([0x9F, 0x02, 0x03, 0x20, 0x1F, 0x70, 0x2E]))  # channels 3, 4 to 4000, 6000
        assert ask(client, bytes([0x90, 0x03, 0x90, 0x04]), 4) == bytes([0xA0, 0x0F, 0x70, 0x17])
        assert ask(client, bytes([0xA1]), 2) == b"\x00\x00"


def test_pololu_protocol_answers_only_its_device_number(lips10, maestro_emulator):
    with maestro_emulator(lips10) as (protocol, port), serial.Serial(port, 115200, timeout=0.2) as client:
        client.write(bytes([0xAA, 0x0C, 0x04, 0x01, 0x70, 0x2E]))  # device 12, Set Target channel 1
        assert ask(client, bytes([0xAA, 0x0C, 0x10, 0x01]), 2) == (6000).to_bytes(2, "little")
        assert ask(client, bytes([0xAA, 0x0B, 0x10, 0x01]), 2) == b""  # device 11 is someone else


def test_micro_maestro_flags_set_multiple_targets_as_a_protocol_error(lips10, maestro_emulator):
    with maestro_emulator(lips10, model="micro6") as (_, port), serial.Serial(port, 115200, timeout=0.3) as client:
        before = ask(client, bytes([0x90, 0x03]), 2)
        client.write(bytes([0x9F, 0x01, 0x03, 0x20, 0x1F]))
        assert ask(client, bytes([0xA1]), 2) == (1 << 4).to_bytes(2, "little")  # serial protocol error
        assert ask(client, bytes([0x90, 0x03]), 2) == before  # the data bytes were skipped
        assert ask(client, bytes([0x90, 0x07]), 2) == b""  # no channel 7 on a Micro Maestro 6


def test_target_zero_stops_pulses_and_the_servo_goes_limp(lips10, maestro_emulator):
    with maestro_emulator(lips10) as (protocol, port), serial.Serial(port, 115200, timeout=0.5) as client:
        client.write(bytes([0x84, 0x02, 0x00, 0x00]))
        assert ask(client, bytes([0x90, 0x02]), 2) == b"\x00\x00"
        assert not protocol.servos.torque[2]


def test_faults_timeout_garble_and_overload(lips10, maestro_emulator):
    with maestro_emulator(lips10) as (protocol, port), serial.Serial(port, 115200, timeout=0.2) as client:
        protocol.inject(Fault.overload)
        assert ask(client, bytes([0xA1]), 2) == b"\x01\x00"  # serial signal error stands in
        protocol.fault = Fault.checksum
        assert ask(client, bytes([0x90, 0x00]), 2) == b"\xff\xff"
        protocol.fault = Fault.timeout
        assert ask(client, bytes([0x90, 0x00]), 2) == b""


def test_split_packets_are_joined(lips10, maestro_emulator):
    with maestro_emulator(lips10) as (protocol, port), serial.Serial(port, 115200, timeout=0.5) as client:
        for byte in bytes([0x84, 0x05, 0x70, 0x2E]):
            client.write(bytes([byte]))
            client.flush()
        assert ask(client, bytes([0x90, 0x05]), 2) == (6000).to_bytes(2, "little")


def test_registered_for_mirrorface_emulate(lips10):
    from mirrorface.hardware.emulators import EMULATORS
    from mirrorface.hardware.emulators.base import emulate

    assert EMULATORS["maestro"] is MaestroProtocol
    with emulate("maestro", lips10) as emulator, serial.Serial(emulator.port, 115200, timeout=0.5) as client:
        assert ask(client, bytes([0xA1]), 2) == b"\x00\x00"
