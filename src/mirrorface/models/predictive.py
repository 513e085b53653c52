"""The coexpression predictive model: 4 frames of a face starting to move -> its coming expression.

The paper's Fig. 7B: eight fully connected layers, tanh after each of the first six, a skip
connection from the fourth layer's output to the sixth's, and an MSE loss; the input is four
frames of 113 landmarks, the output the 113 target landmarks (113 x 2).

Around that stack (issue 17), inside the model so that it travels with the weights:
- the face is read as its displacement from the person's resting face, projected onto a few
  displacement fields (`fields`, the leading singular vectors of the training targets' apex - rest
  displacements): a prediction is the resting face plus a mix of these fields, so its shape is
  always one that faces make, and landmark jitter outside them is not read;
- the size of the expression comes from the person, not from a prior: the four frames'
  coefficients are divided by the size of the newest one (the gain) before the stack sees them,
  and the stack's answer, how far each field will go in units of that gain, is multiplied by it
  again. A face moving half as far gives a prediction half as far from rest (exactly), so a
  half-intensity expression is not pulled to the training people's typical size. The stack still
  sees the pace: how the displacement grew over the four frames tells how far along it is;
- the stack's answer is added to the newest frame's coefficients, with the last layer starting
  at zero, so an untrained model is the mimicry baseline (in the span of the fields).

    frames (B, 4, 113, 2), rest (B, 113, 2) -> coefficients c (B, 4, K) of frames - rest on the fields
        -> gain g = |c[:, -1]| (B, 1) -> FC1..FC6 (tanh, h6 += h4) on c / g (B, 4K) -> FC7 -> FC8 (B, K)
        -> rest + g * (c[:, -1] / g + FC8) @ fields (B, 113, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

MIN_GAIN = 1e-4  # canonical units; a face at rest still jitters by about 0.002 in the fields' span


@dataclass(frozen=True)
class PredictiveConfig:
    n_landmarks: int = 113
    n_frames: int = 4  # input frames
    hidden: int = 192  # width of every hidden layer: ~230k parameters, 0.9 MB
    layers: int = 8  # fully connected layers in all; tanh follows all but the last two
    skip_from: int = 4  # the output of this layer (1-based) is added to the output of `skip_to`
    skip_to: int = 6
    fields: int = 10  # displacement fields a prediction is made of

    def __post_init__(self) -> None:
        if not 1 <= self.skip_from < self.skip_to <= self.layers - 2:
            raise ValueError(f"the skip must join two tanh layers in order, got {self.skip_from} -> {self.skip_to} "
                             f"with {self.layers} layers")
        if self.n_frames < 2:
            raise ValueError(f"the model needs at least 2 input frames to see motion, got {self.n_frames}")
        if not 1 <= self.fields <= 2 * self.n_landmarks:
            raise ValueError(f"the fields must number 1 to {2 * self.n_landmarks}, got {self.fields}")


class PredictiveModel(nn.Module):
    def __init__(self, config: PredictiveConfig):
        super().__init__()
        self.config = config
        n, k = config.n_landmarks * 2, config.fields
        # Fitted to the training data (`set_normalizer`); buffers so that they are saved with the weights.
        self.register_buffer("fields", torch.eye(k, n))  # (K, n) orthonormal displacement fields
        self.register_buffer("output_scale", torch.ones(()))  # typical size of a target's coefficient
        widths = [k * config.n_frames] + [config.hidden] * (config.layers - 1) + [k]
        self.fc = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        nn.init.zeros_(self.fc[-1].weight)  # start as mimicry: the newest frame's coefficients
        nn.init.zeros_(self.fc[-1].bias)

    @torch.no_grad()
    def set_normalizer(self, labels: torch.Tensor, rest: torch.Tensor) -> None:
        """Fit the fields and the output scale to training targets (N, n_landmarks, 2) and resting faces (N, ...)."""
        displacement = (labels - rest).flatten(1).double()  # (N, n)
        _, _, vh = torch.linalg.svd(displacement, full_matrices=False)
        self.fields.copy_(vh[:self.config.fields])
        self.output_scale.copy_((displacement @ vh[:self.config.fields].T).std().clamp_min(MIN_GAIN))

    def coefficients(self, faces: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
        """(B, F, n_landmarks, 2) faces, (B, n_landmarks, 2) rest -> (B, F, K) their displacement on the fields."""
        return (faces.flatten(2) - rest.flatten(1)[:, None]) @ self.fields.T

    def forward(self, frames: torch.Tensor, rest: torch.Tensor, target: torch.Tensor | None = None):
        """Predict the target face; with `target`, also the MSE loss on the fields (in units of the output scale).

        Args:
            frames: (B, n_frames, n_landmarks, 2) consecutive or sampled frames, oldest first.
            rest: (B, n_landmarks, 2) the person's resting face.
            target: (B, n_landmarks, 2) the true target face, or None.

        Returns:
            (prediction (B, n_landmarks, 2), loss or None).
        """
        c = self.coefficients(frames, rest)  # (B, F, K)
        gain = c[:, -1].norm(dim=-1, keepdim=True).clamp_min(MIN_GAIN)  # (B, 1)
        h = (c / gain[:, :, None]).flatten(1)  # (B, F * K): the shape and pace of the movement, not its size
        skip = None
        for i, layer in enumerate(self.fc[:-2], start=1):
            h = torch.tanh(layer(h))  # (B, hidden)
            if i == self.config.skip_from:
                skip = h
            elif i == self.config.skip_to:
                h = h + skip
        coefficients = c[:, -1] + gain * self.fc[-1](self.fc[-2](h))  # (B, K) the target's
        prediction = (rest.flatten(1) + coefficients @ self.fields).view_as(rest)  # (B, n_landmarks, 2)
        if target is None:
            return prediction, None
        truth = (target.flatten(1) - rest.flatten(1)) @ self.fields.T  # (B, K)
        loss = F.mse_loss(coefficients / self.output_scale, truth / self.output_scale)
        return prediction, loss
