"""The coexpression inverse model: shapes, the input standardisation, and that it learns."""

import numpy as np
import pytest
import torch

from mirrorface.models.inverse import InverseConfig, InverseModel
from mirrorface.training.loop import TrainConfig, fit


def test_shapes_range_and_loss():
    model = InverseModel(InverseConfig(hidden=32)).eval()
    commands, loss = model(torch.rand(5, 113, 2))
    assert commands.shape == (5, 11) and loss is None
    assert commands.min() > 0 and commands.max() < 1
    _, loss = model(torch.rand(5, 113, 2), torch.rand(5, 11))
    assert loss.shape == () and loss > 0


def test_standardisation_is_fitted_and_saved_with_the_weights():
    model = InverseModel(InverseConfig(hidden=32))
    landmarks = 0.5 + 0.01 * torch.randn(100, 113, 2)
    model.set_landmark_stats(landmarks)
    assert torch.allclose(model.landmark_mean, landmarks.reshape(100, -1).mean(0))
    state = model.state_dict()
    assert {"landmark_mean", "landmark_std", "robot_rest", "robot_low", "robot_high"} <= set(state)


def test_it_learns_a_nonlinear_landmarks_to_commands_map():
    # Landmarks move by a few thousandths, nonlinearly in the commands, as on the face.
    rng = np.random.default_rng(0)
    fields = rng.normal(0, 0.004, (2, 11, 226))

    def sample(n, r):
        commands = r.random((n, 11)).astype(np.float32)
        moved = commands @ fields[0] + np.sin(3 * commands) @ fields[1]
        return torch.from_numpy((0.5 + moved).reshape(n, 113, 2).astype(np.float32)), torch.from_numpy(commands)

    model = InverseModel(InverseConfig(hidden=64))
    model.set_landmark_stats(sample(2000, rng)[0])
    x_test, y_test = sample(500, np.random.default_rng(1))
    before = torch.nn.functional.mse_loss(model.eval()(x_test)[0], y_test).item()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small MLP: one thread beats two on a busy machine
    try:
        fit(model, lambda r: sample(128, r), TrainConfig(steps=300, batch_size=128, lr=3e-3), None)
    finally:
        torch.set_num_threads(threads)
    after = torch.nn.functional.mse_loss(model(x_test)[0], y_test).item()
    assert after < before / 5 and after < 0.01  # a constant 0.5 scores 1/12 = 0.083


class Half(torch.nn.Module):
    """Answers 0.5 for every command, to read the loss alone."""

    def forward(self, x):
        return torch.full((len(x), 11), 0.5)


def test_the_loss_is_l1_by_default_and_mse_on_request():
    target = torch.zeros(4, 11)
    for loss, expected in ((None, 0.5), ("mse", 0.25), ("l1", 0.5)):
        model = InverseModel(InverseConfig(hidden=8) if loss is None else InverseConfig(hidden=8, loss=loss))
        model.mlp = Half()
        assert model(torch.zeros(4, 113, 2), target)[1].item() == pytest.approx(expected)
    with pytest.raises(ValueError, match="loss"):
        InverseConfig(loss="huber")
