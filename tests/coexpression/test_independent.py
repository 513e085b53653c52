"""The independent source of people: its own people, timing, nuisances; seeded."""

import numpy as np
from scipy.signal import find_peaks

from mirrorface.coexpression import independent
from mirrorface.coexpression.peak import EXPRESSIVE, activation_distance
from mirrorface.coexpression.synthetic import EXPRESSIONS


def test_videos_are_seeded_labelled_and_vary_in_intensity():
    videos = independent.generate(2, 12, seed=3)
    again = independent.generate(2, 12, seed=3)
    assert all(np.array_equal(a.landmarks, b.landmarks) for a, b in zip(videos, again, strict=True))
    assert {v.expression for v in videos} == set(EXPRESSIONS)
    assert all(v.landmarks.shape[1:] == (113, 2) and 0 < v.onset_frame < v.apex_frame < len(v.landmarks)
               for v in videos)
    half = [v.intensity for k, v in enumerate(videos) if k % 12 % 3 == 2]
    assert all(0.4 <= i <= 0.6 for i in half)
    assert min(v.intensity for v in videos) < 0.5 < max(v.intensity for v in videos)
    moved = [np.abs(v.landmarks[v.apex_frame] - v.landmarks[:5].mean(0)).mean() for v in videos]
    jitter = [np.abs(np.diff(v.landmarks[:5], axis=0)).mean() for v in videos]
    assert np.median(moved) > 3 * np.median(jitter)


def test_calm_faces_blink_at_natural_rates_without_moving_brows_or_mouth_much():
    calm = independent.calm_videos(3, 30.0, seed=1)
    eyes = np.setdiff1d(np.arange(113), EXPRESSIVE)
    for video in calm:
        lids = np.abs(video.landmarks[:, eyes, 1] - video.landmarks[:, eyes, 1].mean(0)).mean(1)
        blinks, _ = find_peaks(lids, height=lids.mean() + 2 * lids.std(), distance=6)
        assert 4 <= len(blinks) <= 15  # 15-20 a minute, over 30 s
    smile = next(v for v in independent.generate(1, 7, seed=1) if v.expression == "happy")
    expressed = activation_distance(smile.landmarks[smile.apex_frame], smile.landmarks[:5].mean(0))
    still = max(np.median(activation_distance(v.landmarks, v.landmarks[:5].mean(0))) for v in calm)
    assert still < expressed / 3


def test_the_noise_free_track_is_the_same_face_without_the_jitter():
    videos = independent.generate(1, 3, seed=2) + independent.calm_videos(1, 5.0, seed=2)
    for video in videos:
        assert video.clean.shape == video.landmarks.shape
        assert 1e-4 < np.abs(video.landmarks - video.clean).mean() < 3e-3
        # at rest the head still moves, but with it removed the noise-free face stands still; the camera's jitters
        still, seen = (np.abs(np.diff(track[:5], axis=0)).mean() for track in (video.clean, video.landmarks))
        assert still < 0.2 * seen
