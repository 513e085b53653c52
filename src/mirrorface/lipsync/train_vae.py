"""Training the VAE as the paper does: pretrain on the robot's own frames, then fine-tune on
real and synthesized frames while holding the real frames' latents where pretraining put them.

`out/pretrained/` keeps the first stage (a resumed run skips it once complete); `out/` holds the
final model. Both are ordinary checkpoint folders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from scipy.spatial import cKDTree

from mirrorface.constants import LANDMARKS
from mirrorface.data.dataset import Dataset
from mirrorface.export.graphs import VAE_ONNX
from mirrorface.export.onnx import export_vae_encoder
from mirrorface.face.sim.painter import Painter
from mirrorface.lipsync.crop import crop_from_landmarks
from mirrorface.lipsync.frames import babbling_episodes, synthesized, training_sentences
from mirrorface.lipsync.latents import encode_crops, to_tensor
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model
from mirrorface.training.folder import read_meta
from mirrorface.training.loop import TrainConfig, distributed, fit

Progress = Callable[[str, int, int, float], None]  # (stage, step, total, loss)


@dataclass(frozen=True)
class VAETraining:
    """Both stages' settings; saved with the model."""

    pretrain: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1500, batch_size=32, lr=1e-3, warmup=50, save_every=250))
    finetune: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=500, batch_size=32, lr=3e-4, warmup=20, save_every=100))
    consistency: float = 0.01  # weight of |mu - mu_pretrained|^2 on real frames (~ the per-pixel loss)
    synthetic_share: float = 0.5  # fraction of each fine-tuning batch that is synthesized frames
    voicings: int = 4  # voicings of each English training sentence (~4,000 synthesized frames)
    sentences: int | None = None  # None: every English training sentence
    babble_frames: int | None = None  # None: the whole dataset
    seed: int = 0

    @classmethod
    def quick(cls, seed: int = 0) -> VAETraining:
        """A few steps on a few hundred frames: for tests and smoke runs."""
        return cls(pretrain=TrainConfig(steps=20, batch_size=16, lr=2e-3, save_every=10, seed=seed),
                   finetune=TrainConfig(steps=10, batch_size=16, lr=1e-3, save_every=10, seed=seed),
                   voicings=1, sentences=2, babble_frames=600, seed=seed)


QUICK_MODEL = VAEConfig(channels=(8, 16, 32), image_size=32)


def _stage_done(folder: Path, steps: int) -> bool:
    return (folder / "config.json").is_file() and read_meta(folder).get("step") == steps


def train_vae(data: str | Path, out: str | Path, settings: VAETraining = VAETraining(),
              model_config: VAEConfig = VAEConfig(), *, resume: bool = False,
              progress: Progress | None = None) -> dict:
    """Pretrain and fine-tune a VAE on a babbling dataset; returns figures of both stages."""
    out = Path(out)
    dataset = Dataset(data)
    spec = dataset.spec()
    crop = crop_from_landmarks(dataset.array(LANDMARKS), spec.camera.width, spec.camera.height,
                               model_config.image_size)
    config = replace(model_config, crop_x=crop.x, crop_y=crop.y, crop_size=crop.size)
    real = np.concatenate([e.crops for e in babbling_episodes(dataset, crop, settings.babble_frames)])
    real = real[: settings.babble_frames]
    held_out = np.arange(len(real)) % 20 == 19  # every 20th frame scores reconstruction
    train_real = real[~held_out]
    meta = {"data": str(data), "face": spec.name, "real_frames": len(real), "settings": asdict(settings)}

    def report(stage: str) -> Callable[[int, int, float], None] | None:
        return None if progress is None else (lambda s, t, loss: progress(stage, s, t, loss))

    pre_dir = out / "pretrained"
    if resume and _stage_done(pre_dir, settings.pretrain.steps):
        pretrained = load_model(VAE, VAEConfig, pre_dir, "VAE")
    else:
        torch.manual_seed(settings.seed)
        pretrained = VAE(config)
        fit(pretrained, lambda rng: _real_batch(train_real, settings.pretrain.batch_size, rng),
            settings.pretrain, pre_dir, resume=resume and (pre_dir / "train_state.json").is_file(),
            progress=report("pretrain"), meta={**meta, "stage": "pretrain"})
    anchors = torch.from_numpy(encode_crops(pretrained, train_real))

    face = Painter(spec, seed=settings.seed)
    spoken = synthesized(face, crop, training_sentences(settings.voicings, settings.seed, settings.sentences))
    synth = np.concatenate([s.crops for s in spoken])
    resume_finetune = resume and (out / "train_state.json").is_file()
    model = VAE(config) if resume_finetune else load_model(VAE, VAEConfig, pre_dir, "VAE")
    result = fit(model, lambda rng: _hybrid_batch(train_real, anchors, synth, settings, rng), settings.finetune, out,
                 resume=resume_finetune, progress=report("finetune"),
                 meta={**meta, "stage": "finetune", "synthesized_frames": len(synth)})
    figures = vae_figures(pretrained, model, real[held_out], synth)
    if distributed()[0] == 0:  # one process writes the graph, after its weights (torchrun's rank 0 saved them)
        export_vae_encoder(model, out / VAE_ONNX, spec.name, out)  # the graph `say` encodes on (onnxruntime)
    return {**result, **figures, "real_frames": len(real), "synthesized_frames": len(synth)}


def _real_batch(real: np.ndarray, size: int, rng: np.random.Generator) -> tuple[torch.Tensor]:
    return (to_tensor(real[rng.integers(len(real), size=size)]),)


def _hybrid_batch(real: np.ndarray, anchors: torch.Tensor, synth: np.ndarray, settings: VAETraining,
                  rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real and synthesized frames interleaved (so every DDP shard gets both); anchors for the real."""
    size = settings.finetune.batch_size
    is_synth = np.arange(size) % round(1 / settings.synthetic_share) == 0 if settings.synthetic_share > 0 \
        else np.zeros(size, bool)
    r = rng.integers(len(real), size=size)
    s = rng.integers(len(synth), size=size)
    images = np.where(is_synth[:, None, None, None], synth[s], real[r])
    weight = torch.from_numpy(np.where(is_synth, 0.0, settings.consistency).astype(np.float32))
    return to_tensor(images), anchors[r], weight


def vae_figures(pretrained: VAE, model: VAE, real: np.ndarray, synth: np.ndarray) -> dict:
    """Held-out reconstruction error, latent drift from pretraining, synthesized-to-real gap."""
    with torch.no_grad():
        x = to_tensor(real)
        recon_mse = float(((model.decode(model.encode(x)[0]) - x) ** 2).mean())
    mu_pre, mu = encode_crops(pretrained, real), encode_crops(model, real)
    synth_mu = encode_crops(model, synth)
    spread = float(np.linalg.norm(mu - mu.mean(0), axis=1).mean())
    nearest, _ = cKDTree(mu).query(synth_mu)
    return {"held_out_recon_mse": recon_mse,
            "latent_drift": float(np.linalg.norm(mu - mu_pre, axis=1).mean()),
            "latent_spread": spread,
            "synthesized_to_nearest_real": float(nearest.mean())}
