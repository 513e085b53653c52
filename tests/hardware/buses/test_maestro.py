"""The Maestro driver against the emulated Maestro over a real pseudo-terminal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mirrorface.hardware.bus import BusFault, make_bus
from mirrorface.hardware.buses.channels import channel_runs
from mirrorface.hardware.buses.maestro import MaestroBus
from mirrorface.hardware.emulators.base import Fault, emulated_calibration


def connected(spec, protocol):
    bus = make_bus(spec, emulated_calibration(spec, "maestro", protocol.servos))
    bus.connect()
    return bus


def test_channel_runs_group_consecutive_channels():
    assert channel_runs([0, 1, 2, 5, 6, 9]) == [[0, 1, 2], [3, 4], [5]]
    assert channel_runs([4, 3, 10]) == [[1, 0], [2]]


@pytest.mark.parametrize("model", ["mini24", "micro6"])
def test_writes_reach_the_servos_and_read_back(lips10, small_face, maestro_emulator, face_on, model):
    spec = lips10 if model == "mini24" else small_face(6)
    with maestro_emulator(spec, model=model) as (protocol, port):
        spec = face_on(spec, type="maestro", port=port)
        bus = connected(spec, protocol)
        assert isinstance(bus, MaestroBus) and bus.multiple_targets == (model == "mini24")
        command = np.linspace(0.1, 0.9, spec.n)
        bus.write_positions(command)
        np.testing.assert_allclose(bus.read_positions(), command, atol=1e-3)  # quarter-µs rounding
        expected = [protocol.servos._to_norm(k, v) for k, v in enumerate(bus.to_raw(command))]
        np.testing.assert_allclose(protocol.servos.dynamics.target, expected)
        bus.disconnect()


def test_torque_off_stops_pulses_and_on_resumes_them(lips10, maestro_emulator, face_on):
    with maestro_emulator(lips10) as (protocol, port):
        bus = connected(face_on(lips10, type="maestro", port=port), protocol)
        bus.write_positions(lips10.neutral)
        bus.set_torque(False)
        assert bus.read_raw().tolist() == [0] * lips10.n
        assert not protocol.servos.torque.any()
        bus.set_torque(True)
        np.testing.assert_allclose(bus.read_positions(), lips10.neutral, atol=1e-3)  # answered after the write
        assert protocol.servos.torque.all()


def test_every_write_is_one_packet_per_run(lips10, maestro_emulator, face_on, tmp_path):
    with maestro_emulator(lips10) as (protocol, port):
        log = (tmp_path / "received.jsonl").open("w")
        protocol._log = log
        bus = connected(face_on(lips10, type="maestro", port=port), protocol)
        bus.write_positions(lips10.upper)
        bus.read_positions()  # the reply proves the write was handled
        log.close()
        lines = [json.loads(line) for line in (tmp_path / "received.jsonl").read_text().splitlines()]
        assert {int(k): v for k, v in lines[-1]["goals"].items()} == dict(
            zip(bus.ids, bus.to_raw(lips10.upper).tolist(), strict=True))


def test_board_errors_are_named_and_end_a_read(lips10, maestro_emulator, face_on):
    with maestro_emulator(lips10) as (protocol, port):
        bus = connected(face_on(lips10, type="maestro", port=port), protocol)
        assert bus.read_faults() == {}
        protocol.inject(Fault.overload)
        assert bus.read_faults() == {"maestro": "serial signal error"}
        with pytest.raises(BusFault, match=f"maestro on {port}: serial signal error"):
            bus.read_positions()


@pytest.mark.parametrize("fault, problem", [(Fault.timeout, "no reply"), (Fault.checksum, "a corrupt reply")])
def test_a_persistent_fault_names_the_channel_after_the_retries(lips10, maestro_emulator, face_on, fault, problem):
    with maestro_emulator(lips10) as (protocol, port):
        bus = connected(face_on(lips10, type="maestro", port=port, retries=2, timeout_ms=30), protocol)
        protocol.inject(fault)
        with pytest.raises(BusFault, match=f"maestro channel 0 \\({lips10.names[0]}\\): {problem} to Get Position "
                                           "after 3 tries"):
            bus.read_positions()


def test_a_fault_that_clears_is_retried_away(lips10, maestro_emulator, face_on):
    with maestro_emulator(lips10) as (protocol, port):
        bus = connected(face_on(lips10, type="maestro", port=port, retries=3, timeout_ms=30), protocol)
        bus.write_positions(lips10.neutral)
        sent = []
        feed = protocol.feed

        def one_lost_reply(data):  # the first request after this point is answered with silence
            sent.append(data)
            return b"" if len(sent) == 1 else feed(data)

        protocol.feed = one_lost_reply
        np.testing.assert_allclose(bus.read_positions(), lips10.neutral, atol=1e-3)
        assert len(sent) >= 2


def test_a_channel_the_board_lacks_is_named(small_face, maestro_emulator, face_on):
    spec = small_face(3, channels=[0, 1, 15])
    with (maestro_emulator(spec, model="mini12") as (_, port),
          pytest.raises(BusFault, match="maestro channel 15 \\(a2\\): no reply to Get Position")):
        make_bus(face_on(spec, type="maestro", port=port, retries=0, timeout_ms=30), None).connect()


def test_a_lost_port_is_a_bus_fault(lips10, maestro_emulator, face_on):
    with maestro_emulator(lips10, fault=Fault.disconnect, fault_after=0.0) as (protocol, port):
        bus = make_bus(face_on(lips10, type="maestro", port=port, retries=1, timeout_ms=30), None)
        with pytest.raises(BusFault, match="maestro"):
            bus.connect()
            bus.read_raw()


def test_no_port_is_one_clear_error(lips10, face_on):
    with pytest.raises(BusFault, match="needs `port`"):
        make_bus(face_on(lips10, type="maestro"), None).connect()
    with pytest.raises(BusFault, match="cannot open /nonexistent"):
        make_bus(face_on(lips10, type="maestro", port="/nonexistent"), None).connect()
