"""The coexpression inverse model: the robot's face landmarks -> its motor commands (paper Fig. 7A).

Three fully connected layers, the first two followed by batch norm and ReLU, a sigmoid output
(commands are normalized to [0, 1]) and an L1 loss (the paper: MSE). Many babbled commands sit
exactly at neutral, and some (the lower lip pushed against a closed mouth) barely move a
landmark: the L1 loss answers such a face with the median command, often exactly neutral, where
MSE pulls it towards the mean. The input is standardised per coordinate
with statistics of the training landmarks, kept as buffers so that they travel with the weights:
a face moves its landmarks by a few thousandths of the image, far below the network's scale.
The robot's resting landmarks and their range in the self-model dataset (R_s, R_min, R_max of
the human -> robot normalisation) are buffers too: they describe the same robot as the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mirrorface.models.mlp import MLP, MLPConfig


@dataclass(frozen=True)
class InverseConfig:
    n_landmarks: int = 113
    n_commands: int = 11  # emo26's symmetric set; 19 for every expression actuator on its own
    hidden: int = 256
    loss: str = "l1"  # or "mse" (the paper's)
    symmetric: bool = True  # outputs are the face's symmetric commands (else its expression actuators)
    face: str = "emo26"  # the face whose self-model this is

    def __post_init__(self) -> None:
        if self.loss not in ("l1", "mse"):
            raise ValueError(f"loss must be 'l1' or 'mse', got {self.loss!r}")


class InverseModel(nn.Module):
    def __init__(self, config: InverseConfig):
        super().__init__()
        self.config = config
        n_in = config.n_landmarks * 2
        self.register_buffer("landmark_mean", torch.zeros(n_in))
        self.register_buffer("landmark_std", torch.ones(n_in))
        for name in ("robot_rest", "robot_low", "robot_high"):
            self.register_buffer(name, torch.zeros(config.n_landmarks, 2))
        self.mlp = MLP(MLPConfig(n_in, config.n_commands, config.hidden, layers=3, batch_norm=True,
                                 sigmoid_out=True))

    def set_landmark_stats(self, landmarks: torch.Tensor) -> None:
        """Fit the input standardisation to training landmarks (N, n_landmarks, 2)."""
        flat = landmarks.reshape(len(landmarks), -1)
        self.landmark_mean.copy_(flat.mean(0))
        self.landmark_std.copy_(flat.std(0).clamp_min(1e-4))  # a still coordinate must not blow up

    def forward(self, landmarks: torch.Tensor, target: torch.Tensor | None = None):
        x = (landmarks.flatten(1) - self.landmark_mean) / self.landmark_std  # (B, n_landmarks * 2)
        commands = self.mlp(x)  # (B, n_commands) in (0, 1)
        if target is None:
            return commands, None
        loss = F.l1_loss(commands, target) if self.config.loss == "l1" else F.mse_loss(commands, target)
        return commands, loss
