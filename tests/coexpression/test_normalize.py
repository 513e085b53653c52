"""Eqs. 1-2 of the coexpression paper on constructed faces: rest, range, clipping and K."""

import numpy as np
import pytest

from mirrorface.coexpression.normalize import RobotRange, fit_scale, resting_face, robot_range, to_robot
from mirrorface.errors import MirrorfaceError

# One landmark, so every number can be checked by hand: the robot rests at (0.5, 0.5) and reaches
# 0.1 further right, 0.05 further left, 0.02 up and 0.08 down.
ROBOT = RobotRange(rest=np.array([[0.5, 0.5]]), low=np.array([[0.45, 0.48]]), high=np.array([[0.6, 0.58]]))
HUMAN_REST = np.array([[0.3, 0.7]])


def paper_eq(human, human_rest, robot, k):
    """Eqs. 1-2 as printed (eq. 2 with the Max against R_min - R_s that it means): clip, then scale."""
    delta = human - human_rest
    clipped = np.where(delta > 0, np.minimum(robot.high - robot.rest, delta), np.maximum(robot.low - robot.rest, delta))
    return clipped * k + robot.rest


def test_a_displacement_inside_the_range_moves_the_robot_rest_by_it():
    human = HUMAN_REST + [[0.03, -0.01]]
    np.testing.assert_allclose(to_robot(human, HUMAN_REST, ROBOT), [[0.53, 0.49]], atol=1e-7)


def test_eq1_clips_a_positive_displacement_at_the_robot_maximum():
    human = HUMAN_REST + [[0.5, 0.2]]
    np.testing.assert_allclose(to_robot(human, HUMAN_REST, ROBOT), ROBOT.high, atol=1e-7)


def test_eq2_clips_a_negative_displacement_at_the_robot_minimum():
    human = HUMAN_REST - [[0.5, 0.2]]
    np.testing.assert_allclose(to_robot(human, HUMAN_REST, ROBOT), ROBOT.low, atol=1e-7)


def test_the_human_rest_maps_to_the_robot_rest_whoever_rests_how():
    for rest in (HUMAN_REST, HUMAN_REST + 0.2, np.array([[0.0, 0.0]])):
        np.testing.assert_allclose(to_robot(rest, rest, ROBOT, k=3.0), ROBOT.rest, atol=1e-7)


def test_k_scales_the_displacement_and_the_result_stays_in_range():
    human = HUMAN_REST + [[0.02, 0.01]]
    np.testing.assert_allclose(to_robot(human, HUMAN_REST, ROBOT, k=2.0), [[0.54, 0.52]], atol=1e-7)
    np.testing.assert_allclose(to_robot(human, HUMAN_REST, ROBOT, k=10.0), [[0.6, 0.58]], atol=1e-7)


@pytest.mark.parametrize("k", [1.0, 0.5])
def test_agrees_with_the_printed_equations_for_k_up_to_one_or_without_clipping(k):
    rng = np.random.default_rng(0)
    human = HUMAN_REST + rng.normal(0, 0.1, (200, 1, 2))
    ours, printed = to_robot(human, HUMAN_REST, ROBOT, k), paper_eq(human, HUMAN_REST, ROBOT, k)
    if k == 1.0:
        np.testing.assert_allclose(ours, printed, atol=1e-7)
    else:  # scaling first differs only where the printed form clips a displacement K would have brought inside
        inside = np.all(np.abs(human - HUMAN_REST) <= 0.02, axis=(1, 2))
        np.testing.assert_allclose(ours[inside], printed[inside], atol=1e-7)


def test_works_on_whole_sequences_of_113_landmarks():
    rng = np.random.default_rng(1)
    rest = rng.random((113, 2))
    robot = robot_range(rest + rng.normal(0, 0.01, (50, 113, 2)), rest)
    out = to_robot(rng.random((7, 113, 2)), rng.random((113, 2)), robot, k=2.0)
    assert out.shape == (7, 113, 2)
    assert np.all(out >= robot.low - 1e-6) and np.all(out <= robot.high + 1e-6)


def test_robot_range_spans_the_dataset_and_its_rest():
    rest = np.array([[0.5, 0.5]])
    span = robot_range(np.array([[[0.4, 0.55]], [[0.52, 0.6]]]), rest)
    np.testing.assert_allclose(span.low, [[0.4, 0.5]])
    np.testing.assert_allclose(span.high, [[0.52, 0.6]])


def test_a_rest_outside_the_range_is_refused():
    with pytest.raises(MirrorfaceError):
        RobotRange(rest=np.array([[0.7, 0.5]]), low=np.array([[0.45, 0.48]]), high=np.array([[0.6, 0.58]]))


def test_resting_face_is_the_mean_of_the_first_five_frames():
    frames = np.arange(10, dtype=float)[:, None, None] * np.ones((10, 113, 2))
    np.testing.assert_allclose(resting_face(frames), 2.0)


def test_fit_scale_matches_large_human_moves_to_the_robot_range():
    # The robot reaches 0.1 either way; people move 0.05 at most: K = 2.
    robot = RobotRange(np.zeros((3, 2)), np.full((3, 2), -0.1), np.full((3, 2), 0.1))
    deltas = np.random.default_rng(2).uniform(-0.05, 0.05, (5000, 3, 2))
    assert fit_scale(deltas, robot, quantile=1.0) == pytest.approx(2.0, rel=0.01)
