"""The predictive model: the paper's shape, a mimicry start, and it learns."""

import numpy as np
import pytest
import torch

from mirrorface.models.predictive import PredictiveConfig, PredictiveModel

MOVES = torch.randn(5, 113, 2, generator=torch.Generator().manual_seed(99))  # a face moves in few ways


def _frames(n: int, seed: int = 0) -> torch.Tensor:
    """Faces moving at a constant random speed: (n, 4, 113, 2)."""
    g = torch.Generator().manual_seed(seed)
    start = 0.5 + 0.05 * torch.randn(n, 1, 113, 2, generator=g)
    speed = 0.002 * torch.einsum("nk,kld->nld", torch.randn(n, 5, generator=g), MOVES)[:, None]
    return start + speed * torch.arange(4.0)[None, :, None, None]


def test_shapes_size_and_the_paper_layout():
    model = PredictiveModel(PredictiveConfig())
    prediction, loss = model(_frames(3))
    assert prediction.shape == (3, 113, 2) and loss is None
    assert len(model.fc) == 8
    size_mb = sum(p.numel() for p in model.parameters()) * 4 / 2**20
    assert size_mb < 2.0


def test_an_untrained_model_is_the_mimicry_baseline():
    frames = _frames(5)
    prediction, _ = PredictiveModel(PredictiveConfig(hidden=16))(frames)
    assert torch.equal(prediction, frames[:, -1])


def test_the_skip_must_join_two_tanh_layers():
    with pytest.raises(ValueError):
        PredictiveConfig(skip_from=6, skip_to=4)
    with pytest.raises(ValueError):
        PredictiveConfig(skip_from=4, skip_to=7)  # layer 7 has no tanh


def test_it_learns_to_extrapolate_a_moving_face():
    """Target: where the face will be 6 frames after the last one; mimicry cannot get there."""
    torch.manual_seed(0)
    model = PredictiveModel(PredictiveConfig(hidden=64))
    frames = _frames(512)
    target = frames[:, -1] + 6 * (frames[:, -1] - frames[:, -2])
    model.set_normalizer(frames, target)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(300):
        rows = torch.randint(0, 512, (64,), generator=torch.Generator().manual_seed(step))
        _, loss = model(frames[rows], target[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test = _frames(128, seed=1)
    truth = test[:, -1] + 6 * (test[:, -1] - test[:, -2])
    with torch.no_grad():
        error = (model(test)[0] - truth).abs().mean()
    mimicry = (test[:, -1] - truth).abs().mean()
    assert error < 0.5 * mimicry


def test_the_normaliser_travels_in_the_state_dict():
    model = PredictiveModel(PredictiveConfig(hidden=16))
    frames = _frames(64)
    model.set_normalizer(frames, frames[:, -1] + 0.01)
    state = model.state_dict()
    assert {"mean_face", "identity_scale", "motion_scale", "output_scale"} <= set(state)
    assert np.allclose(state["mean_face"].numpy(), frames[:, 0].flatten(1).mean(0).numpy())
