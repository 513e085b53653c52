"""The Facial Action Transformer: shapes, config checks, eq. 7's closure loss by hand, and that it learns."""

import numpy as np
import pytest
import torch

from mirrorface.lipsync.train_fat import fat_config_for
from mirrorface.models.fat import FAT, FATConfig, closure_loss
from mirrorface.training.loop import TrainConfig, fit

SMALL = FATConfig(d_model=32, heads=2, layers=1, ff=64)
PAPER = ((0, 1, 4), (-1, 1, 1))  # eq. 7: upper lip (smaller closes), lower lip and jaw (larger closes)


def frames(*rows):
    """(T, 10) commands, 0.5 everywhere except the given {actuator: value} per frame."""
    out = torch.full((len(rows), 10), 0.5)
    for t, row in enumerate(rows):
        for i, v in row.items():
            out[t, i] = v
    return out


def test_shapes_and_range():
    model = FAT(SMALL).eval()
    commands, loss = model(torch.rand(5, 2, 10), torch.randn(5, 2, 16))
    assert commands.shape == (5, 2, 10) and loss is None
    assert commands.min() > 0 and commands.max() < 1
    _, loss = model(torch.rand(5, 2, 10), torch.randn(5, 2, 16), torch.rand(5, 2, 10))
    assert loss.shape == () and loss > 0


@pytest.mark.parametrize("settings", [
    {"d_model": 30, "heads": 4},
    {"closure_index": (0, 1), "closure_sign": (-1, 1, 1)},
    {"closure_k": (1.0,)},
])
def test_bad_configs_are_refused(settings):
    with pytest.raises(ValueError):
        FATConfig(**settings)


def test_closure_loss_is_eq_7_by_hand():
    k0, k1, k2 = 0.5, 2.0, 3.0
    target = frames({0: 0.2, 1: 0.9, 4: 0.6}, {0: 0.2, 1: 0.9, 4: 0.6}, {0: 0.7, 1: 0.3, 4: 0.1})
    pred = frames({0: 0.5, 1: 0.6, 4: 0.2},  # all three less closed: 0.3, 0.3, 0.4 short
                  {0: 0.1, 1: 1.0, 4: 0.9},  # all three more closed than asked: no penalty
                  {0: 0.7, 1: 0.2, 4: 0.1, 2: 0.0, 7: 1.0})  # only the lower lip short (0.1); 2 and 7 do not count
    by_hand = (k0 * (0.3 + 0 + 0) + k1 * (0.3 + 0 + 0.1) + k2 * (0.4 + 0 + 0)) / 3  # summed over t, per frame
    got = closure_loss(pred, target, *PAPER, (k0, k1, k2))
    assert got.item() == pytest.approx(by_hand, abs=1e-6)
    assert closure_loss(target, target, *PAPER, (k0, k1, k2)).item() == 0.0


def test_closure_sign_generalises_eq_7_to_a_jaw_whose_zero_is_shut():
    target, pred = frames({4: 0.3}), frames({4: 0.5})  # the jaw opened 0.2 wider than asked (lips10: 0 shut)
    assert closure_loss(pred, target, (4,), (-1,), (1.0,)).item() == pytest.approx(0.2)
    assert closure_loss(pred, target, (4,), (1,), (1.0,)).item() == 0.0  # the paper's jaw: larger closes
    assert closure_loss(frames({4: 0.1}), target, (4,), (-1,), (1.0,)).item() == 0.0


def test_lips10_takes_its_closing_actuators_from_the_spec(lips10):
    config = fat_config_for(lips10)
    names = [lips10.names[i] for i in config.closure_index]
    assert names == ["upper_lip_center", "lower_lip_center", "jaw"] and config.closure_index == (0, 1, 4)
    assert config.closure_sign == (-1, 1, -1)  # jaw: 0 is shut on lips10


def test_total_loss_is_mae_plus_lambda_closure():
    torch.manual_seed(0)
    model = FAT(FATConfig(d_model=32, heads=2, layers=1, ff=64, closure_k=(1.0, 2.0, 0.5),
                          closure_weight=3.0)).eval()
    actions, latents, target = torch.rand(4, 2, 10), torch.randn(4, 2, 16), torch.rand(4, 2, 10)
    commands, loss = model(actions, latents, target)
    c = commands.detach().numpy().reshape(-1, 10)
    t = target.numpy().reshape(-1, 10)
    short = np.maximum(0, np.array([-1, 1, -1]) * (t[:, [0, 1, 4]] - c[:, [0, 1, 4]]))
    by_hand = np.abs(c - t).mean() + 3.0 * (short * [1.0, 2.0, 0.5]).sum(1).mean()
    assert loss.item() == pytest.approx(by_hand, rel=1e-5)


def test_latent_normaliser_travels_with_the_model():
    torch.manual_seed(0)
    model = FAT(SMALL).eval()
    actions, latents = torch.rand(3, 2, 10), torch.randn(3, 2, 16)
    before = model(actions, latents)[0]
    mean, std = torch.randn(16), torch.rand(16) + 0.5
    model.set_normalizer(mean, std)
    assert torch.allclose(model(actions, latents * std + mean)[0], before, atol=1e-5)
    assert {"latent_mean", "latent_std"} <= set(model.state_dict())


def test_output_depends_on_history_and_on_both_latents():
    torch.manual_seed(0)
    model = FAT(SMALL).eval()
    actions, latents = torch.rand(1, 2, 10), torch.randn(1, 2, 16)
    base = model(actions, latents)[0]
    for changed in (actions.flip(1), latents.flip(1), latents * torch.tensor([[1.0], [0.0]])):
        args = (changed, latents) if changed.shape == actions.shape else (actions, changed)
        assert not torch.allclose(model(*args)[0], base), "an input the paper's FAT uses is ignored"


def test_it_overfits_a_handful_of_windows():
    rng = np.random.default_rng(0)
    actions = torch.from_numpy(rng.random((16, 2, 10), dtype=np.float32))
    latents = torch.from_numpy(rng.normal(size=(16, 2, 16)).astype(np.float32))
    target = torch.from_numpy(rng.random((16, 2, 10), dtype=np.float32))  # arbitrary: only memory can fit it
    torch.manual_seed(0)
    model = FAT(SMALL)
    result = fit(model, lambda r: (actions, latents, target), TrainConfig(steps=200, batch_size=16, lr=3e-3,
                                                                          warmup=10), None)
    losses = result["losses"]
    assert np.mean(losses[-10:]) < 0.3 * np.mean(losses[:10])
    with torch.no_grad():
        mae = (model(actions, latents)[0] - target).abs().mean().item()
    assert mae < 0.08  # from ~0.25 for a constant 0.5


def test_closure_loss_can_be_limited_to_frames_whose_target_shuts_the_lips():
    pred = torch.zeros(2, 3, 10)
    target = torch.zeros(2, 3, 10)
    target[..., 4] = -0.3  # every target is more closed on the jaw (closing sign -1) than predicted
    every = closure_loss(pred, target, (4,), (-1,), (1.0,))
    closing = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # one frame of six is a closure
    assert every.item() == pytest.approx(0.3)
    assert closure_loss(pred, target, (4,), (-1,), (1.0,), closing).item() == pytest.approx(0.3 / 6)
