import numpy as np
import pytest

from mirrorface.errors import DeviceError, SafetyError
from mirrorface.face.sim.painter import Painter
from mirrorface.hardware.face import make_face
from mirrorface.hardware.sim import SimFace


def test_send_goes_through_the_safety_layer(sim_face, lips10):
    wild = np.full(lips10.n, 7.0)
    wild[0] = np.nan
    sent = sim_face.send(wild)
    assert sim_face.last_report.rejected
    assert np.allclose(sent, lips10.neutral)
    sim_face.advance(0.5)
    sent = sim_face.send(np.full(lips10.n, 7.0))
    assert np.all(sent <= lips10.upper) and sim_face.safety.is_safe(sent)
    assert sim_face.last_report.clamped


def test_measured_positions_lag_the_command(sim_face, lips10):
    target = lips10.neutral.copy()
    jaw = lips10.index_of("jaw")
    target[jaw] = 0.9
    sim_face.advance(1.0)
    sim_face.send(target)
    sim_face.advance(1 / 30)
    first = sim_face.read_positions()[jaw]
    assert lips10.neutral[jaw] < first < 0.9
    sim_face.advance(1.0)
    assert abs(sim_face.read_positions()[jaw] - 0.9) < 0.01


def test_rate_limit_uses_the_face_clock(sim_face, lips10):
    target = lips10.neutral.copy()
    jaw = lips10.index_of("jaw")
    target[jaw] = 1.0
    sim_face.send(lips10.neutral)
    sim_face.advance(0.01)
    sent = sim_face.send(target)
    assert sent[jaw] == pytest.approx(lips10.neutral[jaw] + lips10.speed[jaw] * 0.01)


def test_the_first_command_is_rate_limited_over_the_time_since_connecting(lips10):
    jaw = lips10.index_of("jaw")
    with SimFace(lips10) as face:
        assert np.array_equal(face.send(lips10.upper), lips10.neutral)  # no time has passed: no step
        face.advance(0.01)
        assert face.send(lips10.upper)[jaw] == pytest.approx(lips10.neutral[jaw] + lips10.speed[jaw] * 0.01)
    with SimFace(lips10) as face:
        face.advance(0.02)
        assert face.send(lips10.upper)[jaw] == pytest.approx(lips10.neutral[jaw] + lips10.speed[jaw] * 0.02)


def test_camera_sees_the_measured_pose_not_the_command(lips10):
    jaw = lips10.index_of("jaw")
    with SimFace(lips10, seed=2) as a:
        a.advance(1.0)
        pose = lips10.neutral.copy()
        pose[jaw] = 0.9
        a.send(pose)
        measured = a.read_positions()
        frame = a.read_frame()  # no time has passed: the jaw has not moved yet
    assert measured[jaw] < 0.1
    assert np.array_equal(frame, Painter(lips10, seed=2).render_pose(measured))
    assert not np.array_equal(frame, Painter(lips10, seed=2).render_pose(pose))


def test_closing_returns_to_neutral_and_disconnects(lips10):
    face = SimFace(lips10)
    with face:
        pose = lips10.neutral.copy()
        pose[lips10.index_of("jaw")] = 0.8
        face.advance(1.0)
        face.send(pose)
        face.advance(1.0)
    assert not face.is_connected
    assert np.allclose(face.read_positions(), lips10.neutral, atol=0.02)
    with pytest.raises(DeviceError):
        face.send(lips10.neutral)


def test_make_face_gives_the_simulator_for_a_sim_bus(lips10):
    assert isinstance(make_face(lips10), SimFace)


@pytest.mark.parametrize("seconds", [float("-inf"), float("inf"), float("nan"), -0.1])
def test_a_bad_time_step_is_refused_and_the_face_stays_usable(sim_face, lips10, seconds):
    with pytest.raises(SafetyError, match="finite number of seconds"):
        sim_face.advance(seconds)
    sim_face.advance(0.1)
    target = lips10.neutral.copy()
    target[lips10.index_of("jaw")] = 0.5
    assert sim_face.send(target)[lips10.index_of("jaw")] > lips10.neutral[lips10.index_of("jaw")]
    sim_face.close()  # back to neutral without an error
    assert not sim_face.is_connected
