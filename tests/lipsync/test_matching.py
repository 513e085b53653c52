import numpy as np

from mirrorface.face.safety import SafetyLayer
from mirrorface.lipsync.matching import Sequence, match_iterations, nearest_commands


def test_nearest_commands_takes_the_nearest_latents_command():
    latents = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    commands = np.array([[0.1], [0.2], [0.3]])
    got = nearest_commands(np.array([[0.9, 0.1], [0.1, 0.8], [0.0, 0.1]]), latents, commands)
    assert got[:, 0].tolist() == [0.2, 0.3, 0.1]


def test_matching_performs_safe_commands_and_reports_its_error(sim_face, lips10):
    """A toy 'encoder' (the jaw and lips as seen in the frame) keeps the test fast and exact."""
    rng = np.random.default_rng(0)
    pool_commands = np.tile(lips10.neutral, (200, 1))
    pool_commands[:, 4] = rng.uniform(0, 1, 200)  # jaw only

    def encode(frames):  # darkness of the mouth region ~ jaw opening
        return (255.0 - frames[:, 150:230, 100:160].mean(axis=(1, 2, 3), keepdims=False))[:, None] / 255.0

    pool_latents = encode(np.stack([sim_face.painter.render_pose(c) for c in pool_commands[:40]]))
    pool = Sequence(pool_commands[:40], pool_latents)
    targets = [pool_latents[[3, 10, 20, 30, 5, 7]]]
    performed, errors = match_iterations(sim_face, targets, pool, encode, iterations=2, noise=0.05, seed=1)
    safety = SafetyLayer(lips10)
    assert len(performed) == 2 and len(errors) == 2
    for seq in performed:
        assert seq.commands.shape == (5, 10) and seq.latents.shape == (5, 1)  # command k, frame k + 1
        assert all(safety.is_safe(c) for c in seq.commands)
        assert ((seq.commands >= lips10.lower - 1e-9) & (seq.commands <= lips10.upper + 1e-9)).all()
    assert all(np.isfinite(errors))
