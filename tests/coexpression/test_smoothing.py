"""The One Euro smoother: steadier still faces, bounded lag on a moving one, a lead that extrapolates."""

import math

import numpy as np
import pytest

from mirrorface.coexpression.smoothing import FaceSmoother, SmootherConfig
from mirrorface.errors import MirrorfaceError

RATE = 25.0


def smooth(config, faces):
    smoother = FaceSmoother(config, RATE)
    return np.stack([smoother(face) for face in faces])


def test_a_still_face_jitters_much_less():
    rng = np.random.default_rng(0)
    still = 0.5 + 0.0008 * rng.standard_normal((250, 113, 2))  # 10 s of a face doing nothing, camera jitter
    out = smooth(SmootherConfig(min_cutoff=1.0, beta=100.0), still)[25:]
    assert np.abs(np.diff(out, axis=0)).mean() < 0.3 * np.abs(np.diff(still[25:], axis=0)).mean()
    assert np.abs(out - 0.5).mean() < 0.5 * np.abs(still - 0.5).mean()


def test_a_step_is_followed_with_bounded_lag_and_faster_with_beta():
    step = np.where(np.arange(50) < 10, 0.0, 0.02)[:, None]  # a landmark jumps by 0.02 (a smile's corner)

    def ticks_to_90_percent(beta):
        out = smooth(SmootherConfig(min_cutoff=1.0, beta=beta), step)[:, 0]
        return int(np.argmax(out >= 0.9 * 0.02)) - 10

    plain, fast = ticks_to_90_percent(0.0), ticks_to_90_percent(300.0)
    assert plain <= 10  # a 1 Hz low-pass: about 0.37 s to 90% at 25 Hz
    assert fast < plain / 2  # the speed opens the filter
    assert smooth(SmootherConfig(min_cutoff=1.0, beta=300.0), step)[-1, 0] == pytest.approx(0.02, abs=1e-4)


def test_an_infinite_cutoff_passes_faces_unchanged():
    faces = np.random.default_rng(1).random((20, 113, 2))
    np.testing.assert_allclose(smooth(SmootherConfig(min_cutoff=math.inf), faces), faces, atol=1e-12)


def test_ahead_moves_the_face_on_at_its_velocity_and_reset_forgets():
    smoother = FaceSmoother(SmootherConfig(min_cutoff=math.inf), RATE)
    for k in range(3):
        smoother(np.full(4, 0.1 * k))  # 0, 0.1, 0.2: 0.1 a tick
    np.testing.assert_allclose(smoother.ahead(1.5), 0.35)
    smoother.reset()
    np.testing.assert_allclose(smoother(np.full(4, 7.0)), 7.0)  # a new face is not pulled towards the old one
    np.testing.assert_allclose(smoother.ahead(1.5), 7.0)  # no velocity yet


def test_bad_settings_are_one_clear_error():
    with pytest.raises(MirrorfaceError, match="cutoffs must be positive"):
        SmootherConfig(min_cutoff=0.0)
    with pytest.raises(MirrorfaceError, match="beta"):
        SmootherConfig(beta=-1.0)
