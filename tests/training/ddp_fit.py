"""Train a tiny FAT with `fit` for a few steps; test_ddp.py runs it under torchrun and alone.

Usage: python ddp_fit.py OUT   (or: python -m torch.distributed.run --nproc_per_node 2 ddp_fit.py OUT)
"""

import sys

import numpy as np
import torch
import torch.distributed as dist

from mirrorface.models.fat import FAT, FATConfig
from mirrorface.training.loop import TrainConfig, fit

MODEL = FATConfig(d_model=16, heads=2, layers=1, ff=32)  # no dropout: each rank draws its own masks
TRAIN = TrainConfig(steps=6, batch_size=32, lr=3e-3, warmup=1, seed=5)


def batch(rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
    """The global batch of one step; under torchrun each rank keeps every second row."""
    actions = rng.random((TRAIN.batch_size, 2, 10), dtype=np.float32)
    latents = rng.normal(size=(TRAIN.batch_size, 2, 16)).astype(np.float32)
    targets = np.clip(actions[:, -1:] + 0.1 * latents[..., :10], 0, 1)
    return torch.from_numpy(actions), torch.from_numpy(latents), torch.from_numpy(targets)


def main(out: str) -> None:
    torch.manual_seed(0)
    model = FAT(MODEL)
    model.set_normalizer(torch.full((16,), 0.1), torch.full((16,), 1.5))
    fit(model, batch, TRAIN, out)
    if dist.is_initialized():
        dist.barrier()  # let rank 0 finish writing before gloo is torn down under it
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
