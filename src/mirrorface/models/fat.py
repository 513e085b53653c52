"""The Facial Action Transformer (FAT): previous commands and target latents -> the next commands.

    encoder: A_{t-2}, A_{t-1}   (B, 2, n_actions)  -> embed + position -> [self-attn, MLP] x layers
    decoder: L_t, L_{t+1}       (B, 2, latent)     -> embed + position -> [self-attn, cross-attn, MLP] x layers
    head:    (B, 2, d_model) -> sigmoid -> A_t, A_{t+1}  (B, 2, n_actions) in [0, 1]

The encoder remembers where the lips are; the decoder reads where the target frames want them,
now and one frame ahead (which is what lets it lead the servos' lag). Attention is written out
(nanoGPT style) so the model exports to ONNX as plain matrix products.

Loss (eqs. 6-8 of the lip-sync paper): MAE + lambda * closure loss, where the closure loss
penalises a prediction that is *less closed* than its target on the actuators that shut the
lips: for actuator i with closing direction c_i (+1: larger closes, -1: smaller closes),
k_i * max(0, c_i * (A_i - A^_i)). With the paper's face (upper lip -1, lower lip +1, jaw +1)
this is exactly eq. 7; directions come from the face spec, so a jaw whose 0 is shut works too.
Sums over frames are divided by their number, so lambda does not depend on the batch size.
The penalty can be limited to the frames whose target shuts the lips (`closing`): applied to
every frame, it is a quantile loss that tilts every ambiguous frame (a nearly closed vowel)
toward a closed command; the paper means it for "key frames" where complete closure is critical.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from mirrorface.models.configs import FATConfig


def closure_loss(pred: torch.Tensor, target: torch.Tensor, index: tuple[int, ...], sign: tuple[int, ...],
                 k: tuple[float, ...], closing: torch.Tensor | None = None) -> torch.Tensor:
    """Eq. 7: (..., n_actions) predictions and targets -> the mean closure penalty per frame.

    `closing` (...,) weights each frame (1: its target shuts the lips, 0: no penalty); None
    penalises every frame, as eq. 7 is written.
    """
    if not index:
        return pred.new_zeros(())
    idx = torch.tensor(index)
    c = torch.tensor(sign, dtype=pred.dtype)
    weights = torch.tensor(k, dtype=pred.dtype)
    short = F.relu(c * (target[..., idx] - pred[..., idx]))  # how much less closed than the target
    per_frame = (short * weights).sum(-1)
    return per_frame.mean() if closing is None else (per_frame * closing).mean()


class _Attention(nn.Module):
    def __init__(self, config: FATConfig):
        super().__init__()
        self.heads = config.heads
        self.q = nn.Linear(config.d_model, config.d_model)
        self.kv = nn.Linear(config.d_model, 2 * config.d_model)
        self.out = nn.Linear(config.d_model, config.d_model)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        h = self.heads
        q = self.q(x).view(b, t, h, d // h).transpose(1, 2)  # (B, h, T, d/h)
        k, v = self.kv(context).view(b, -1, 2, h, d // h).permute(2, 0, 3, 1, 4)  # (B, h, S, d/h) each
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // h), dim=-1)  # (B, h, T, S)
        return self.out((att @ v).transpose(1, 2).reshape(b, t, d))


class _MLP(nn.Sequential):
    def __init__(self, config: FATConfig):
        super().__init__(nn.Linear(config.d_model, config.ff), nn.GELU(), nn.Linear(config.ff, config.d_model),
                         nn.Dropout(config.dropout))


class _EncoderLayer(nn.Module):
    def __init__(self, config: FATConfig):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(config.d_model), nn.LayerNorm(config.d_model)
        self.attn, self.mlp = _Attention(config), _MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h)
        return x + self.mlp(self.norm2(x))


class _DecoderLayer(nn.Module):
    def __init__(self, config: FATConfig):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(config.d_model) for _ in range(3))
        self.attn, self.cross, self.mlp = _Attention(config), _Attention(config), _MLP(config)

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h)
        x = x + self.cross(self.norm2(x), memory)
        return x + self.mlp(self.norm3(x))


class FAT(nn.Module):
    def __init__(self, config: FATConfig):
        super().__init__()
        self.config = config
        d = config.d_model
        self.embed_actions = nn.Linear(config.n_actions, d)
        self.embed_latents = nn.Linear(config.latent, d)
        self.pos_actions = nn.Parameter(torch.randn(config.history, d) * 0.02)
        self.pos_latents = nn.Parameter(torch.randn(config.horizon, d) * 0.02)
        self.encoder = nn.ModuleList(_EncoderLayer(config) for _ in range(config.layers))
        self.decoder = nn.ModuleList(_DecoderLayer(config) for _ in range(config.layers))
        self.norm_memory, self.norm_out = nn.LayerNorm(d), nn.LayerNorm(d)
        self.head = nn.Linear(d, config.n_actions)
        # Latents are standardised with the training set's statistics, kept as buffers so they
        # travel with the checkpoint (a VAE's latents are not unit-scaled per dimension).
        self.register_buffer("latent_mean", torch.zeros(config.latent))
        self.register_buffer("latent_std", torch.ones(config.latent))

    def set_normalizer(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.latent_mean.copy_(mean)
        self.latent_std.copy_(std.clamp_min(1e-3))

    def forward(self, actions: torch.Tensor, latents: torch.Tensor, target: torch.Tensor | None = None,
                closing: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Predict the next commands; with `target`, also the loss.

        Args:
            actions: (B, history, n_actions) previous commands in [0, 1], oldest first.
            latents: (B, horizon, latent) target-frame latents, L_t first.
            target: (B, horizon, n_actions) the commands A_t, A_{t+1}, or None.
            closing: (B, horizon) 1 where the target frame shuts the lips: the closure loss's
                frames (None: every frame).

        Returns:
            (commands (B, horizon, n_actions), loss or None).
        """
        memory = self.embed_actions(actions) + self.pos_actions  # (B, history, d)
        for layer in self.encoder:
            memory = layer(memory)
        memory = self.norm_memory(memory)
        x = self.embed_latents((latents - self.latent_mean) / self.latent_std) + self.pos_latents  # (B, horizon, d)
        for layer in self.decoder:
            x = layer(x, memory)
        commands = torch.sigmoid(self.head(self.norm_out(x)))  # (B, horizon, n_actions)
        if target is None:
            return commands, None
        c = self.config
        mae = (commands - target).abs().mean()
        closure = closure_loss(commands, target, c.closure_index, c.closure_sign, c.closure_k, closing)
        return commands, mae + c.closure_weight * closure
