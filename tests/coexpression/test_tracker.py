"""The online peak-activation tracker on constructed expressions."""

import numpy as np

from mirrorface.coexpression.peak import EXPRESSIVE, activation_distance
from mirrorface.coexpression.tracker import ExpressionTracker, TrackerConfig

RATE = 25.0


def expression(seconds=4.0, start=1.0, rise=0.6, size=0.1, noise=0.0005, seed=0):
    """(times, landmarks): a face at rest, then a minimum-jerk move of Euclidean size `size`."""
    rng = np.random.default_rng(seed)
    times = np.arange(int(seconds * RATE)) / RATE
    rest = rng.random((113, 2))
    field = np.zeros((113, 2))
    field[EXPRESSIVE] = rng.normal(size=(len(EXPRESSIVE), 2))
    field /= np.linalg.norm(field)
    x = np.clip((times - start) / rise, 0, 1)
    level = size * x**3 * (10 - 15 * x + 6 * x**2)
    frames = rest + level[:, None, None] * field + rng.normal(0, noise, (len(times), 113, 2))
    return times, frames, level


def run(times, frames, config=None):
    tracker = ExpressionTracker(config, RATE)
    return [(t, a) for t, f in zip(times, frames, strict=True) if (a := tracker.update(t, f)) is not None], tracker


def test_an_expression_is_caught_as_its_distance_leaves_rest():
    times, frames, level = expression()
    found, _ = run(times, frames)
    assert len(found) == 1
    t, activation = found[0]
    crossing = times[np.argmax(level > TrackerConfig().onset)]
    assert abs(activation.time - crossing) <= 0.1  # an end-point fit: at most a couple of frames late
    assert activation.time < 1.0 + 0.6  # well before the expression is complete
    assert activation.frames.shape == (4, 113, 2)
    np.testing.assert_array_equal(activation.frames[-1], frames[times == t][0])  # the newest 4 frames
    np.testing.assert_array_equal(activation.frames[0], frames[np.flatnonzero(times == t)[0] - 3])
    np.testing.assert_allclose(activation.rest, frames[:5].mean(0))


def test_a_face_at_rest_never_triggers():
    times, frames, _ = expression(size=0.0, noise=0.0008)
    found, tracker = run(times, frames)
    assert found == [] and tracker.state == "armed"


def test_an_expression_below_the_onset_is_ignored_and_one_above_is_not():
    times, frames, _ = expression(size=0.02)
    assert run(times, frames)[0] == []
    assert len(run(times, frames, TrackerConfig(onset=0.01))[0]) == 1


def test_it_rearms_once_the_face_is_back_at_rest():
    times, up, level = expression(seconds=3.0)
    down = up[::-1]  # the same expression relaxing back to rest
    found, tracker = run(np.arange(3 * len(times)) / RATE, np.concatenate([up, down, up]))
    assert len(found) == 2
    assert tracker.state == "active" and not tracker.relaxing


def test_distance_ignores_the_eyes_and_rigid_motion_but_not_expressions():
    rest = np.random.default_rng(1).random((113, 2))
    eyes = np.setdiff1d(np.arange(113), EXPRESSIVE)
    blink = rest.copy()
    blink[eyes, 1] += 0.05  # the lids, however far they close
    turn = np.radians(6.0)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    moved = 1.05 * (rest - 0.5) @ rotation.T + 0.5 + [0.02, -0.01]  # rotated, scaled, shifted
    smile = rest.copy()
    smile[EXPRESSIVE[-61:], 1] -= np.linspace(0, 0.01, 61)  # the mouth moves, unevenly
    assert activation_distance(blink, rest) < 1e-9 and activation_distance(moved, rest) < 1e-9
    assert activation_distance(smile, rest) > 0.02
    assert activation_distance(np.stack([rest, smile]), rest).shape == (2,)


def test_blinks_alone_never_trigger():
    times, frames, _ = expression(size=0.0, noise=0.0005)
    eyes = np.setdiff1d(np.arange(113), EXPRESSIVE)
    closing = np.sin(np.pi * np.clip((times % 3.0 - 1.5) / 0.3, 0, 1)) ** 2  # a full blink every 3 s
    frames[:, eyes, 1] += 0.04 * closing[:, None]
    assert run(times, frames)[0] == []
