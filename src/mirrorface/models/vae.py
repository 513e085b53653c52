"""A small convolutional VAE over mouth crops: the lip-sync paper's 16-d face-image latent.

The input is a square crop around the mouth, resized to `image_size` (64 px by default): the
lips span most of it, so a 64 px crop keeps ~1 px per 0.7 mm of lip, finer than MediaPipe's lip
landmarks resolve, while the model stays small enough to train on two CPU cores. Where the
crop sits in the camera frame is part of the model (`crop_*`): latents only mean something for
the crop they were trained on.

    image (B, 3, S, S) in [0, 1]
      -> [conv 4x4 s2, SiLU] x len(channels)        (B, C_last, S / 2^k, S / 2^k)
      -> linear -> mu, logvar                        (B, latent) each
    z = mu + eps * exp(logvar / 2)                   (B, latent)
      -> linear -> [conv-transpose 4x4 s2, SiLU] x k -> sigmoid -> (B, 3, S, S)

Loss (per image, averaged over the batch, divided by the pixel count so `beta` does not depend
on the resolution): sum of squared errors + beta * KL(q(z|x) || N(0, I)). Fine-tuning on real
and synthesized frames adds w x |mu(x) - mu_pretrained(x)|^2 on the real frames,
which keeps the latent space the one the robot's babbling defined (the paper's hybrid VAE).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from mirrorface.models.configs import VAEConfig


class VAE(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        widths = (3, *config.channels)
        self.encoder = nn.Sequential(*(
            layer for a, b in zip(widths[:-1], widths[1:], strict=True)
            for layer in (nn.Conv2d(a, b, 4, stride=2, padding=1), nn.SiLU())
        ))
        self.side = config.image_size // 2 ** len(config.channels)
        flat = config.channels[-1] * self.side**2
        self.to_stats = nn.Linear(flat, 2 * config.latent)
        self.from_latent = nn.Linear(config.latent, flat)
        back = widths[::-1]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(back[:-1], back[1:], strict=True)):
            layers.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
            if i < len(back) - 2:
                layers.append(nn.SiLU())
        self.decoder = nn.Sequential(*layers)

    def encode(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, S, S) in [0, 1] -> mu, logvar, (B, latent) each."""
        h = self.encoder(images).flatten(1)  # (B, C * side^2)
        mu, logvar = self.to_stats(h).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent) -> (B, 3, S, S) in [0, 1]."""
        h = self.from_latent(z).view(-1, self.config.channels[-1], self.side, self.side)
        return torch.sigmoid(self.decoder(F.silu(h)))

    def forward(self, images: torch.Tensor, anchor: torch.Tensor | None = None,
                anchor_weight: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruct `images`; returns (reconstruction, loss).

        Args:
            images: (B, 3, S, S) in [0, 1].
            anchor: (B, latent) the pretrained model's mu for each image (fine-tuning), or None.
            anchor_weight: (B,) weight of each image's anchor term: the consistency weight for a
                real frame, 0 for a synthesized one (it has no pretrained latent to keep).
        """
        mu, logvar = self.encode(images)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        recon = self.decode(z)
        pixels = images[0].numel()
        sse = ((recon - images) ** 2).flatten(1).sum(1)  # (B,)
        kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(1)  # (B,)
        loss = (sse + self.config.beta * kl) / pixels  # (B,)
        if anchor is not None and anchor_weight is not None:
            loss = loss + anchor_weight * ((mu - anchor) ** 2).sum(1)
        return recon, loss.mean()
