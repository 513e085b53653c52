"""The simulated face must be nonlinear enough that learning it is necessary.

The README's figure comes from MediaPipe landmarks (`mirrorface eval face`); this test checks
the same bound on the lip contours the camera sees, without MediaPipe's jitter, so it is fast.
"""

import numpy as np

from mirrorface.data.babbling import random_safe_poses
from mirrorface.eval.face_probe import fit_linear, fit_mlp
from mirrorface.face.sim.painter import Painter


def test_a_linear_fit_is_at_least_twice_as_bad_as_a_small_mlp(lips10):
    sim = Painter(lips10)
    poses = random_safe_poses(lips10, 1200, np.random.default_rng(0), list(range(lips10.n)))
    lips = np.array([sim.mouth_of(p).contours().reshape(-1) for p in poses])
    train, test = slice(0, 1000), slice(1000, None)

    def rmse(pred):
        return float(np.sqrt(np.mean((pred - lips[test]) ** 2)))

    linear = rmse(fit_linear(poses[train], lips[train], poses[test]))
    mlp = rmse(fit_mlp(poses[train], lips[train], poses[test], seed=0, epochs=150))
    assert linear >= 2.0 * mlp, (linear, mlp)
