"""The FAT streaming on PyTorch: where a checkpoint has no current ONNX graph, or MIRRORFACE_ONNX=0.

`export.graphs.OnnxStreamingFAT` is the same loop on onnxruntime, and is checked against this one.
"""

from __future__ import annotations

import numpy as np
import torch

from mirrorface.models.fat import FAT
from mirrorface.models.threads import one_thread


class StreamingFAT:
    """The FAT one frame at a time, remembering its own last commands."""

    def __init__(self, fat: FAT, start: np.ndarray):
        self.fat = fat.eval()
        self.horizon = fat.config.horizon
        self.history = torch.from_numpy(np.tile(start, (fat.config.history, 1)).astype(np.float32))[None]

    @torch.inference_mode()
    def step(self, latents: np.ndarray) -> np.ndarray:
        """(horizon, latent) L_t, L_{t+1} -> A_t (n_actions,)."""
        with one_thread():  # one step is ~100 tiny operators: a second thread only waits
            commands, _ = self.fat(self.history, torch.from_numpy(latents.astype(np.float32))[None])
        now = commands[:, :1]  # (1, 1, n)
        self.history = torch.cat([self.history[:, 1:], now], dim=1)
        return now[0, 0].numpy()
