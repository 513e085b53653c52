"""ServoFace through the official SDKs and an emulator on a real pseudo-terminal: what reaches the
servos is what the safety layer sent, and every fault ends safe with one clear error."""


from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirrorface.errors import SpecError
from mirrorface.face.spec import load_spec
from mirrorface.hardware.bus import BusFault
from mirrorface.hardware.emulators.base import Fault, emulated_calibration
from mirrorface.hardware.face import make_face
from mirrorface.hardware.servo import ServoFace

BUSES = ["dynamixel", "feetech"]


@pytest.fixture(params=BUSES)
def rig(request, make_rig):
    return make_rig(request.param)


def test_a_real_bus_without_calibration_names_the_command(tmp_path, servo_face_toml):
    path = tmp_path / "mouth.toml"
    path.write_text(servo_face_toml("lips10", "feetech", "/dev/null"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"run `mirrorface calibrate --face .*mouth\.toml`"):
        make_face(load_spec(path))


def test_the_servos_receive_exactly_what_the_safety_layer_sent(rig):
    with make_face(rig.spec) as face:
        assert isinstance(face, ServoFace)
        assert np.allclose(face.read_positions(), rig.spec.neutral, atol=0.02)
        sent = []
        for k in range(10):
            sent.append(face.send(rig.spec.upper if k % 2 else rig.spec.lower))
            face.advance(1 / 30)
        frame = face.read_frame()
    assert frame.shape == (rig.spec.camera.height, rig.spec.camera.width, 3)
    received = rig.received()
    ids = face.bus.ids
    assert [[goals[i] for i in ids] for goals in received[:10]] == [list(face.bus.to_raw(s)) for s in sent]
    assert np.allclose(face.bus.from_raw([received[-1][i] for i in ids]), rig.spec.neutral, atol=1e-3)  # closed at rest


def test_the_first_command_after_connecting_is_rate_limited(rig):
    with make_face(rig.spec) as face:
        start = face.read_positions()
        sent = face.send(rig.spec.upper)
        elapsed = face.clock
    assert np.all(np.abs(sent - start) <= rig.spec.speed * elapsed + 0.02)  # 0.02: backlash of the measurement
    assert np.max(np.abs(sent - start)) < 0.1  # not the range's far end in one step


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.floats(-1.0, 2.0) | st.just(float("nan")), min_size=10, max_size=10),
                min_size=1, max_size=4))
def test_safety_invariants_hold_on_the_wire(make_rig, commands):
    rig = make_rig("feetech")
    try:
        with make_face(rig.spec) as face:
            last, before = face.safety.last.copy(), face.clock
            for command in commands:
                sent = face.send(np.array(command))
                now = face.clock
                assert face.safety.is_safe(sent)
                assert np.all(np.abs(sent - last) <= rig.spec.speed * (now - before) + 1e-9)
                last, before = sent, now
            ids = face.bus.ids
            to_raw = face.bus.to_raw
        lo, hi = np.minimum(to_raw(rig.spec.lower), to_raw(rig.spec.upper)), np.maximum(
            to_raw(rig.spec.lower), to_raw(rig.spec.upper))
        for goals in rig.received():
            raw = np.array([goals[i] for i in ids])
            assert np.all((lo <= raw) & (raw <= hi))  # nothing outside the spec's range ever reached a servo
    finally:
        rig.emulator.stop()


@pytest.mark.parametrize("bus", BUSES)
@pytest.mark.parametrize(("fault", "message"), [(Fault.timeout, r"upper_lip.*\(id 1\): no valid reply"),
                                                (Fault.checksum, r"\(id 1\): no valid reply"),
                                                (Fault.overload, r"\(id 1\): overload"),
                                                (Fault.disconnect, "the port is gone")])
def test_faults_end_safe_with_one_clear_error(make_rig, bus, fault, message):
    rig = make_rig(bus)
    face = make_face(rig.spec)
    with pytest.raises(BusFault, match=message), face:
        face.send(rig.spec.upper)
        face.advance(0.1)
        rig.emulator.inject(fault)
        for _ in range(10):
            face.send(rig.spec.upper)
            face.read_positions()
            face.advance(1 / 30)
    assert not face.is_connected
    if fault is not Fault.disconnect:  # the wire still carries writes: the face eased back to rest
        last = rig.received()[-1]
        assert np.allclose(face.bus.from_raw([last[i] for i in face.bus.ids]), rig.spec.neutral, atol=1e-3)


def test_ctrl_c_half_way_through_a_bus_call_still_ends_at_rest(rig):
    face = make_face(rig.spec)
    with pytest.raises(KeyboardInterrupt), face:
        face.send(rig.spec.upper)
        face.advance(0.1)
        port, read = face.bus.port, face.bus.port.readPort

        def interrupted(length):  # Ctrl-C while the SDK waits for a reply: the port is still marked busy
            port.readPort = read
            raise KeyboardInterrupt

        port.readPort = interrupted
        face.read_positions()
    assert not face.is_connected
    last = rig.received()[-1]
    assert np.allclose(face.bus.from_raw([last[i] for i in face.bus.ids]), rig.spec.neutral, atol=1e-3)


def test_torque_goes_off_after_a_fault_when_the_spec_says_so(make_rig):
    rig = make_rig("dynamixel", retries=0, torque_off_on_fault=True)
    with pytest.raises(BusFault), make_face(rig.spec) as face:
        rig.emulator.inject(Fault.timeout)
        face.read_positions()
    rig.emulator.drain()
    assert not rig.servos.torque.any()


def test_the_documented_feetech_mouth_loads():
    spec = load_spec(Path(__file__).parents[2] / "docs" / "examples" / "feetech_mouth.toml")
    assert spec.bus.type == "feetech" and spec.n == 10
    assert [a.servo_id for a in spec.ordered] == list(range(1, 11))


def test_a_face_without_feedback_starts_at_neutral(lips10, maestro_emulator, face_on, tmp_path):
    """A Maestro reports the pulse it sends (none at power-up): the face first goes to neutral, and
    the safety layer counts from there rather than from a reading of 0."""
    with maestro_emulator(lips10) as (protocol, port):
        spec = face_on(lips10, type="maestro", port=port).model_copy(
            update={"camera": lips10.camera.model_copy(update={"device": "sim"})})
        with ServoFace(spec, calibration=emulated_calibration(spec, "maestro", protocol.servos)) as face:
            np.testing.assert_allclose(face.read_positions(), lips10.neutral, atol=1e-3)
            np.testing.assert_allclose(face.safety.last, lips10.neutral, atol=1e-3)
