"""The predictive model: the paper's shape, a mimicry start, an apex the size of the person's, and it learns."""

import pytest
import torch

from mirrorface.models.predictive import PredictiveConfig, PredictiveModel

MOVES = torch.randn(5, 113, 2, generator=torch.Generator().manual_seed(99))  # a face moves in few ways


def _frames(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Faces moving from rest at a constant random speed: frames (n, 4, 113, 2), rest (n, 113, 2)."""
    g = torch.Generator().manual_seed(seed)
    rest = 0.5 + 0.05 * torch.randn(n, 113, 2, generator=g)
    speed = 0.002 * torch.einsum("nk,kld->nld", torch.randn(n, 5, generator=g), MOVES)[:, None]
    return rest[:, None] + speed * torch.arange(1.0, 5.0)[None, :, None, None], rest


def _fitted(hidden: int = 16) -> PredictiveModel:
    model = PredictiveModel(PredictiveConfig(hidden=hidden))
    frames, rest = _frames(256)
    model.set_normalizer(frames[:, -1] + 2 * (frames[:, -1] - frames[:, -2]), rest)
    return model


def test_shapes_size_and_the_paper_layout():
    model = PredictiveModel(PredictiveConfig())
    prediction, loss = model(*_frames(3))
    assert prediction.shape == (3, 113, 2) and loss is None
    assert len(model.fc) == 8
    size_mb = sum(p.numel() for p in model.parameters()) * 4 / 2**20
    assert size_mb < 2.0


def test_an_untrained_model_is_the_mimicry_baseline():
    """The faces move within the fields' span, so the newest frame's projection is the newest frame."""
    frames, rest = _frames(5, seed=1)
    prediction, _ = _fitted()(frames, rest)
    torch.testing.assert_close(prediction, frames[:, -1], atol=1e-6, rtol=0)


def test_the_fields_are_orthonormal_and_travel_in_the_state_dict():
    model = _fitted()
    state = model.state_dict()
    assert {"fields", "output_scale"} <= set(state)
    torch.testing.assert_close(state["fields"] @ state["fields"].T, torch.eye(10), atol=1e-5, rtol=0)


def test_the_apex_follows_the_person_s_size():
    """Half the movement from the same resting face, half the predicted displacement: no size is assumed."""
    model = _fitted()
    for layer in model.fc:  # weights that do something
        torch.nn.init.normal_(layer.weight, std=0.3)
    frames, rest = _frames(8, seed=2)
    half = rest[:, None] + 0.5 * (frames - rest[:, None])
    with torch.no_grad():
        full_move = model(frames, rest)[0] - rest
        half_move = model(half, rest)[0] - rest
    assert full_move.abs().mean() > 0.01
    torch.testing.assert_close(half_move, 0.5 * full_move, atol=1e-6, rtol=1e-4)


def test_bad_configs_are_refused():
    with pytest.raises(ValueError):
        PredictiveConfig(skip_from=6, skip_to=4)
    with pytest.raises(ValueError):
        PredictiveConfig(skip_from=4, skip_to=7)  # layer 7 has no tanh
    with pytest.raises(ValueError):
        PredictiveConfig(fields=0)


def test_it_learns_how_far_an_expression_will_go():
    """Target: where the face will be 6 frames after the last one; mimicry cannot get there."""
    torch.manual_seed(0)
    model = PredictiveModel(PredictiveConfig(hidden=64))
    frames, rest = _frames(512)
    target = frames[:, -1] + 6 * (frames[:, -1] - frames[:, -2])
    model.set_normalizer(target, rest)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(300):
        rows = torch.randint(0, 512, (64,), generator=torch.Generator().manual_seed(step))
        _, loss = model(frames[rows], rest[rows], target[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test, test_rest = _frames(128, seed=1)
    truth = test[:, -1] + 6 * (test[:, -1] - test[:, -2])
    with torch.no_grad():
        error = (model(test, test_rest)[0] - truth).abs().mean()
    mimicry = (test[:, -1] - truth).abs().mean()
    assert error < 0.5 * mimicry
