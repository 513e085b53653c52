"""Frames to VAE latents on PyTorch: the mouth crop the model was trained on, then its encoder's mean."""

from __future__ import annotations

import numpy as np
import torch

from mirrorface.lipsync.crop import crop_of, to_chw
from mirrorface.models.vae import VAE


def to_tensor(crops: np.ndarray) -> torch.Tensor:
    """(B, S, S, 3) uint8 -> (B, 3, S, S) float32 in [0, 1]."""
    return torch.from_numpy(to_chw(crops))


@torch.no_grad()
def encode_crops(vae: VAE, crops: np.ndarray, batch: int = 512) -> np.ndarray:
    """(N, S, S, 3) uint8 mouth crops -> (N, latent) float32 latent means."""
    vae.eval()
    out = [vae.encode(to_tensor(crops[i : i + batch]))[0] for i in range(0, len(crops), batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, vae.config.latent), np.float32)


def encode_frames(vae: VAE, frames: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 camera frames -> (N, latent) latent means."""
    return encode_crops(vae, crop_of(vae.config)(frames))
