"""Frames to VAE latents: the mouth crop the model was trained on, then its encoder's mean."""

from __future__ import annotations

import numpy as np
import torch

from mirrorface.lipsync.crop import MouthCrop, to_tensor
from mirrorface.models.vae import VAE


def crop_of(vae: VAE) -> MouthCrop:
    """The crop a VAE's latents are defined on."""
    c = vae.config
    return MouthCrop(c.crop_x, c.crop_y, c.crop_size, c.image_size)


@torch.no_grad()
def encode_crops(vae: VAE, crops: np.ndarray, batch: int = 512) -> np.ndarray:
    """(N, S, S, 3) uint8 mouth crops -> (N, latent) float32 latent means."""
    vae.eval()
    out = [vae.encode(to_tensor(crops[i : i + batch]))[0] for i in range(0, len(crops), batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, vae.config.latent), np.float32)


def encode_frames(vae: VAE, frames: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 camera frames -> (N, latent) latent means."""
    return encode_crops(vae, crop_of(vae)(frames))
