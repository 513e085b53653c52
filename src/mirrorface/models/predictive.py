"""The coexpression predictive model: 4 frames of a face starting to move -> its coming expression.

The paper's Fig. 7B: eight fully connected layers, tanh after each of the first six, a skip
connection from the fourth layer's output to the sixth's, and an MSE loss; the input is four
frames of 113 landmarks (4 x 113 x 2), the output the 113 target landmarks (113 x 2).

Two choices of ours around that stack, both inside the model so they travel with the weights:
- the input is re-expressed as the first frame's offset from the average training face (who
  this is) and the later frames' offsets from the first (how the face is moving), each scaled
  to unit size; raw canonical coordinates differ by a few thousandths between frames, far
  below what a tanh network resolves before it is well trained;
- the output is read as a displacement from the last input frame, scaled by the typical
  displacement in the training data, so an untrained model starts out as the mimicry baseline
  (the last frame) and training only has to learn what is still to come.

    frames (B, 4, 113, 2) -> [identity (B, 226) | motion (B, 3 * 226)] -> FC1..FC6 (tanh, h6 += h4)
        -> FC7 -> FC8 -> displacement (B, 226) -> last frame + scale * displacement (B, 113, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


@dataclass(frozen=True)
class PredictiveConfig:
    n_landmarks: int = 113
    n_frames: int = 4  # input frames
    hidden: int = 192  # width of every hidden layer: ~440k parameters, 1.8 MB
    layers: int = 8  # fully connected layers in all; tanh follows all but the last two
    skip_from: int = 4  # the output of this layer (1-based) is added to the output of `skip_to`
    skip_to: int = 6

    def __post_init__(self) -> None:
        if not 1 <= self.skip_from < self.skip_to <= self.layers - 2:
            raise ValueError(f"the skip must join two tanh layers in order, got {self.skip_from} -> {self.skip_to} "
                             f"with {self.layers} layers")
        if self.n_frames < 2:
            raise ValueError(f"the model needs at least 2 input frames to see motion, got {self.n_frames}")


class PredictiveModel(nn.Module):
    def __init__(self, config: PredictiveConfig):
        super().__init__()
        self.config = config
        n = config.n_landmarks * 2
        # Input and output scales, fitted to the training data (`set_normalizer`); buffers so that
        # they are saved with the weights.
        self.register_buffer("mean_face", torch.zeros(n))
        self.register_buffer("identity_scale", torch.ones(n))
        self.register_buffer("motion_scale", torch.ones(n))
        self.register_buffer("output_scale", torch.ones(n))
        widths = [n * config.n_frames] + [config.hidden] * (config.layers - 1) + [n]
        self.fc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        nn.init.zeros_(self.fc[-1].weight)  # start as mimicry: no displacement
        nn.init.zeros_(self.fc[-1].bias)

    @torch.no_grad()
    def set_normalizer(self, inputs: torch.Tensor, labels: torch.Tensor) -> None:
        """Fit the scales to training pairs: inputs (N, n_frames, n_landmarks, 2), labels (N, n_landmarks, 2)."""
        flat = inputs.flatten(2)  # (N, F, n)
        self.mean_face.copy_(flat[:, 0].mean(0))
        self.identity_scale.copy_(flat[:, 0].std(0).clamp_min(1e-4))
        self.motion_scale.copy_((flat[:, 1:] - flat[:, :1]).std((0, 1)).clamp_min(1e-4))
        self.output_scale.copy_((labels.flatten(1) - flat[:, -1]).std(0).clamp_min(1e-4))

    def forward(self, frames: torch.Tensor, target: torch.Tensor | None = None):
        """Predict the target face; with `target`, also the MSE loss (in units of the output scale).

        Args:
            frames: (B, n_frames, n_landmarks, 2) consecutive or sampled frames, oldest first.
            target: (B, n_landmarks, 2) the true target face, or None.

        Returns:
            (prediction (B, n_landmarks, 2), loss or None).
        """
        x = frames.flatten(2)  # (B, F, n)
        identity = (x[:, 0] - self.mean_face) / self.identity_scale  # (B, n)
        motion = (x[:, 1:] - x[:, :1]) / self.motion_scale  # (B, F - 1, n)
        h = torch.cat([identity, motion.flatten(1)], 1)  # (B, F * n)
        skip = None
        for i, layer in enumerate(self.fc[:-2], start=1):
            h = torch.tanh(layer(h))  # (B, hidden)
            if i == self.config.skip_from:
                skip = h
            elif i == self.config.skip_to:
                h = h + skip
        displacement = self.fc[-1](self.fc[-2](h))  # (B, n)
        prediction = (x[:, -1] + displacement * self.output_scale).view_as(frames[:, 0])  # (B, n_landmarks, 2)
        if target is None:
            return prediction, None
        loss = F.mse_loss(displacement, (target.flatten(1) - x[:, -1]) / self.output_scale)
        return prediction, loss
