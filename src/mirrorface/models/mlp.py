"""A plain multilayer perceptron: the workhorse for landmark <-> command maps."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class MLPConfig:
    n_in: int
    n_out: int
    hidden: int = 128
    layers: int = 3  # linear layers in total, so layers - 1 hidden activations
    batch_norm: bool = False  # the coexpression inverse model uses BN + ReLU
    sigmoid_out: bool = False  # squash outputs to (0, 1), e.g. for normalized commands


class MLP(nn.Module):
    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        widths = [config.n_in] + [config.hidden] * (config.layers - 1) + [config.n_out]
        blocks: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            blocks.append(nn.Linear(a, b))
            if i < config.layers - 1:
                if config.batch_norm:
                    blocks.append(nn.BatchNorm1d(b))
                blocks.append(nn.ReLU())
        if config.sigmoid_out:
            blocks.append(nn.Sigmoid())
        self.net = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, n_in) -> (B, n_out)
