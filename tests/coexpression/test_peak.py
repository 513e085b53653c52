"""The peak-activation detector on constructed curves, and the training-pair sampler."""

import numpy as np
import pytest

from mirrorface.coexpression.peak import (
    find_peak,
    model_input,
    sample_pairs,
    smoothing_window,
    training_pairs,
    windows,
)
from mirrorface.coexpression.synthetic import ExpressionVideo
from mirrorface.errors import MirrorfaceError

FPS = 30.0
REST = np.random.default_rng(0).uniform(0.3, 0.7, (113, 2))
DIRECTION = np.random.default_rng(1).normal(0, 1, (113, 2))


def _min_jerk(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return x**3 * (10 - 15 * x + 6 * x**2)


def _face(curve: np.ndarray, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Landmarks that leave REST along DIRECTION by `curve` (T,), plus white noise."""
    jitter = np.random.default_rng(seed).normal(0, noise, (len(curve), 113, 2))
    return (REST + curve[:, None, None] * 0.01 * DIRECTION + jitter).astype(np.float32)


def _expression(start=30, rise=20, hold=30, fall=15, frames=110) -> np.ndarray:
    t = np.arange(frames)
    return _min_jerk((t - start) / rise) * (1 - 0.8 * _min_jerk((t - start - rise - hold) / fall))


def test_a_clean_rise_puts_the_activation_early_in_the_rise_and_the_target_on_the_plateau():
    peak = find_peak(_face(_expression()), FPS)
    # A minimum-jerk rise accelerates most at 21% of its duration: frame 30 + 4.2.
    assert 32 <= peak.activation_frame <= 37
    assert 48 <= peak.target_frame <= 81
    assert np.allclose(peak.rest, REST, atol=1e-6)
    assert peak.distance.shape == peak.acceleration.shape == (110,)


def test_the_relaxation_after_the_target_is_never_the_activation():
    """The end of a fast relaxation accelerates more than a slow rise; it comes after the target."""
    peak = find_peak(_face(_expression(start=20, rise=40, hold=10, fall=4)), FPS)
    assert peak.activation_frame < peak.target_frame
    assert 20 <= peak.activation_frame <= 35


def test_it_holds_up_under_landmark_noise():
    found = [find_peak(_face(_expression(), noise=0.001, seed=s), FPS).activation_frame for s in range(10)]
    assert all(28 <= f <= 40 for f in found)


def test_the_window_follows_the_frame_rate():
    assert smoothing_window(30.0) == 9 and smoothing_window(25.0) == 9 and smoothing_window(60.0) == 19
    assert smoothing_window(5.0) % 2 == 1 and smoothing_window(5.0) >= 5


def test_bad_sequences_are_refused():
    with pytest.raises(MirrorfaceError):
        find_peak(_face(np.zeros(6)), FPS)
    broken = _face(_expression())
    broken[50, 3] = np.nan
    with pytest.raises(MirrorfaceError):
        find_peak(broken, FPS)


def _video(landmarks: np.ndarray) -> ExpressionVideo:
    return ExpressionVideo("p0", "p0-v0", "smile", FPS, landmarks, 60, 30, 1.0)


def _numbered(frames: int) -> np.ndarray:
    """Frame t holds the value t everywhere, so a sampled frame says which it is."""
    return np.broadcast_to(np.arange(frames, dtype=np.float32)[:, None, None], (frames, 113, 2)).copy()


def test_windows_are_the_nine_frames_around_the_activation_and_four_from_the_target():
    landmarks = _face(_expression())
    peak = find_peak(landmarks, FPS)
    around, labels, rest = windows(_video(landmarks), peak)
    assert around.shape == (9, 113, 2) and labels.shape == (4, 113, 2)
    assert np.array_equal(rest, peak.rest)
    assert np.array_equal(around[4], landmarks[peak.activation_frame])
    assert np.array_equal(labels[0], landmarks[peak.target_frame])


def test_a_generated_video_is_labelled_with_the_face_made_from_the_apex_on_moved_from_the_camera_rest():
    made = _face(_expression())  # the generator's noise-free face; apex at frame 50, as _expression rises
    camera = made + 0.002 + np.random.default_rng(2).normal(0, 0.001, made.shape).astype(np.float32)  # misread
    video = ExpressionVideo("p0", "p0-v0", "smile", FPS, camera, 50, 30, 1.0, clean=made)
    peak = find_peak(camera, FPS)
    _, labels, rest = windows(video, peak)
    assert np.allclose(labels, rest + made[50:54] - made[:5].mean(0), atol=1e-6)
    # neither the camera's target frame nor its jitter: the label's displacement is the face's own
    assert np.allclose(labels - rest, made[50:54] - made[:5].mean(0), atol=1e-6)
    assert not np.allclose(labels[0], camera[peak.target_frame], atol=1e-4)


def test_samples_are_four_of_nine_frames_in_time_order_and_one_of_four_labels():
    around = np.stack([_numbered(9), _numbered(9) + 100])  # two videos
    labels = np.stack([_numbered(4) + 50, _numbered(4) + 150])
    rest = np.stack([_numbered(1)[0] - 1, _numbered(1)[0] + 99])
    x, y, r = sample_pairs(around, labels, rest, np.random.default_rng(0), 500)
    assert x.shape == (500, 4, 113, 2) and y.shape == (500, 113, 2) and r.shape == (500, 113, 2)
    order = x[:, :, 0, 0]
    assert (np.diff(order, axis=1) > 0).all()  # distinct frames, oldest first
    video = (order[:, 0] >= 100).astype(int)
    assert ((order - 100 * video[:, None]) <= 8).all()  # never mixes two videos
    assert np.array_equal((y[:, 0, 0] >= 100).astype(int), video)
    assert set(np.unique(y[:, 0, 0] - 100 * video)) == {50.0, 51.0, 52.0, 53.0}
    assert np.array_equal(r[:, 0, 0], 100 * video - 1)  # each pair's own resting face
    assert len(np.unique(order - 100 * video[:, None], axis=0)) > 100  # many of the 126 subsets


def test_training_pairs_from_one_video_and_the_run_time_input():
    landmarks = _face(_expression())
    x, y, r = training_pairs(_video(landmarks), np.random.default_rng(0), n=16)
    assert x.shape == (16, 4, 113, 2) and y.shape == (16, 113, 2) and r.shape == (16, 113, 2)
    frames = _numbered(20)
    assert model_input(frames, 10)[:, 0, 0].tolist() == [7, 8, 9, 10]
    assert model_input(frames, 1)[:, 0, 0].tolist() == [0, 0, 0, 1]  # the first frame repeats
