"""The shared training loop: resuming, the learning-rate schedule, checkpoint files, bad settings."""

import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from safetensors import safe_open
from torch import nn

from mirrorface.errors import MirrorfaceError
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.training.checkpoint import load_model
from mirrorface.training.loop import TrainConfig, fit

# Dropout on: a resumed run must also replay each step's dropout masks.
TINY = FATConfig(d_model=16, heads=2, layers=1, ff=32, dropout=0.1)


def fat_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    actions = rng.random((n, 2, 10), dtype=np.float32)
    latents = rng.normal(size=(n, 2, 16)).astype(np.float32)
    targets = np.clip(actions[:, -1:] + 0.1 * latents[..., :10], 0, 1)  # (n, 2, 10)
    return tuple(map(torch.from_numpy, (actions, latents, targets)))


def fat_batch(size):
    a, z, y = fat_data()

    def batch(rng):
        i = torch.from_numpy(rng.integers(len(a), size=size))
        return a[i], z[i], y[i]

    return batch


def new_fat():
    torch.manual_seed(0)
    return FAT(TINY)


class Interrupt(Exception):
    pass


def test_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    config = TrainConfig(steps=12, batch_size=16, lr=3e-3, warmup=2, save_every=4, seed=1)
    whole = new_fat()
    fit(whole, fat_batch(16), config, tmp_path / "whole")

    def stop_at_6(step, total, loss):
        if step == 6:
            raise Interrupt  # like a Ctrl-C after step 6: the last checkpoint is step 4's

    with pytest.raises(Interrupt):
        fit(new_fat(), fat_batch(16), config, tmp_path / "cut", progress=stop_at_6)
    assert json.loads((tmp_path / "cut" / "train_state.json").read_text())["step"] == 4
    torch.manual_seed(123)  # the resumed model's own initial weights must not matter
    resumed = FAT(TINY)
    result = fit(resumed, fat_batch(16), config, tmp_path / "cut", resume=True)
    assert result["step"] == 12 and len(result["losses"]) == 8
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_resume_continues_to_more_steps(tmp_path):
    fit(new_fat(), fat_batch(16), TrainConfig(steps=4, batch_size=16, save_every=2), tmp_path)
    result = fit(new_fat(), fat_batch(16), TrainConfig(steps=7, batch_size=16, save_every=2), tmp_path, resume=True)
    assert result["step"] == 7 and len(result["losses"]) == 3


def test_schedule_warms_up_then_decays_by_cosine():
    config = TrainConfig(steps=1000, lr=1e-2, warmup=50, final_lr=0.1)
    lrs = np.array([config.lr_at(s) for s in range(1001)])
    assert lrs[0] == pytest.approx(1e-2 / 50)
    assert np.all(np.diff(lrs[:50]) > 0) and np.all(np.diff(lrs[49:]) < 0)
    assert lrs.argmax() == 49 and lrs.max() == pytest.approx(1e-2, rel=1e-2)
    assert lrs[500] == pytest.approx(1e-2 * (0.1 + 0.9 * 0.5))  # half-way down the cosine
    assert lrs[1000] == pytest.approx(1e-3)  # final_lr x lr at the last step
    capped = TrainConfig(steps=100, lr=1.0, warmup=50, final_lr=1.0)  # warm-up capped at a tenth of the run
    assert [capped.lr_at(s) for s in (0, 4, 9, 50)] == pytest.approx([0.1, 0.5, 1.0, 1.0])
    flat = TrainConfig(steps=100, lr=1e-3, warmup=1, final_lr=1.0)
    assert all(flat.lr_at(s) == pytest.approx(1e-3) for s in range(100))


@dataclass(frozen=True)
class LineConfig:
    start: float = 5.0


class Line(nn.Module):
    """loss = w: a constant gradient, so each AdamW step moves w by exactly that step's learning rate."""

    def __init__(self, config=LineConfig()):
        super().__init__()
        self.config = config
        self.w = nn.Parameter(torch.tensor([config.start]))

    def forward(self, x):
        return self.w, (self.w * x).mean()


def test_fit_applies_the_schedule_step_by_step():
    config = TrainConfig(steps=40, batch_size=4, lr=0.01, warmup=4, final_lr=0.2, grad_clip=0.0)
    model = Line()
    losses = fit(model, lambda rng: (torch.ones(4),), config, None)["losses"]  # loss at step s = w before it
    moves = -np.diff(np.array(losses + [float(model.w.detach())]))
    assert moves == pytest.approx([config.lr_at(s) for s in range(40)], rel=1e-4)


def test_checkpoints_are_safetensors_and_json_only(tmp_path):
    model = new_fat()
    fit(model, fat_batch(8), TrainConfig(steps=3, batch_size=8, save_every=2), tmp_path, meta={"data": "x"})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["config.json", "model.safetensors", "train_state.json", "train_state.safetensors"]
    for path in tmp_path.iterdir():
        head = path.read_bytes()[:2]
        assert head[:1] != b"\x80" and head != b"PK", path  # neither a pickle nor torch.save's zip
        if path.suffix == ".json":
            json.loads(path.read_text())
        else:
            with safe_open(str(path), "pt") as f:
                assert f.keys()
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model"]["d_model"] == 16 and config["training"]["data"] == "x"
    assert config["training"]["step"] == 3 and config["training"]["train"]["steps"] == 3
    loaded = load_model(FAT, FATConfig, tmp_path)
    for name, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[name]), name


@pytest.mark.parametrize("settings", [
    {"steps": 0}, {"batch_size": 0}, {"save_every": 0}, {"lr": 0.0}, {"lr": -1e-3}, {"warmup": -1},
    {"final_lr": -0.1}, {"weight_decay": -1e-4}, {"grad_clip": -1.0},
])
def test_bad_settings_raise(settings):
    with pytest.raises(MirrorfaceError, match=next(iter(settings))):
        TrainConfig(**settings)


def test_bad_resumes_and_loads_raise(tmp_path):
    config = TrainConfig(steps=2, batch_size=4)
    with pytest.raises(MirrorfaceError, match="resume needs"):
        fit(new_fat(), fat_batch(4), config, None, resume=True)
    with pytest.raises(MirrorfaceError, match="cannot resume"):
        fit(new_fat(), fat_batch(4), config, tmp_path / "empty", resume=True)
    with pytest.raises(MirrorfaceError, match="no FAT at"):
        load_model(FAT, FATConfig, tmp_path / "empty", "FAT")
    fit(new_fat(), fat_batch(4), config, tmp_path / "run")
    with pytest.raises(MirrorfaceError, match="cannot resume"):  # weights of another shape
        torch.manual_seed(0)
        fit(FAT(FATConfig(d_model=32, heads=2, layers=1, ff=32)), fat_batch(4), config, tmp_path / "run", resume=True)
    (tmp_path / "run" / "config.json").write_text("{not json")
    with pytest.raises(MirrorfaceError, match="not a usable"):
        load_model(FAT, FATConfig, tmp_path / "run")
