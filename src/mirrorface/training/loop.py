"""The one training loop every model in mirrorface uses.

A model is an `nn.Module` with a `config` dataclass whose `forward(*batch)` returns
`(prediction, loss)`. A task supplies `batch(rng)`: the *global* batch of one step drawn from a
generator seeded by (seed, step), so a resumed run sees exactly the batches it would have seen,
and a run on several processes sees the same ones as a run on one.

Scaling out is torchrun's job, not ours: under `torchrun --nproc_per_node N` (gloo on CPUs,
nccl on GPUs) the loop joins the process group, wraps the model in DistributedDataParallel and
gives rank r the rows r, r+N, r+2N, ... of every batch; DDP averages the gradients, which for
mean losses over equal shards is the gradient of the whole batch. Only rank 0 writes.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

import mirrorface
from mirrorface.errors import MirrorfaceError
from mirrorface.training.checkpoint import load_model_weights, load_train_state, save_model, save_train_state


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained; saved with the checkpoint so a run can be repeated or resumed."""

    steps: int = 2000  # optimiser steps in total (a resumed run continues up to this)
    batch_size: int = 64  # rows per step over all processes
    lr: float = 1e-3  # AdamW peak learning rate
    weight_decay: float = 0.0
    warmup: int = 100  # steps of linear warm-up (capped at a tenth of the run)
    final_lr: float = 0.1  # cosine decay to this fraction of lr at the last step; 1.0 keeps lr constant
    grad_clip: float = 1.0  # max gradient norm; 0 disables clipping
    seed: int = 0  # seeds every step's batch (and the dropout/noise of that step)
    save_every: int = 500  # steps between checkpoints, so an interrupt loses little

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "save_every"):
            if getattr(self, name) < 1:
                raise MirrorfaceError(f"{name} must be positive, got {getattr(self, name)}")
        if self.lr <= 0:
            raise MirrorfaceError(f"lr must be positive, got {self.lr}")
        for name in ("warmup", "final_lr", "weight_decay", "grad_clip"):  # a negative final_lr would ascend
            if getattr(self, name) < 0:
                raise MirrorfaceError(f"{name} must be 0 or more, got {getattr(self, name)}")

    def lr_at(self, step: int) -> float:
        warmup = max(1, min(self.warmup, self.steps // 10))
        cosine = self.final_lr + (1 - self.final_lr) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / self.steps)))
        return self.lr * min(1.0, (step + 1) / warmup) * cosine


def distributed() -> tuple[int, int]:
    """(rank, world size); joins the process group when launched by torchrun."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def fit(model: nn.Module, batch: Callable[[np.random.Generator], tuple[torch.Tensor, ...]], config: TrainConfig,
        out: str | Path | None, *, resume: bool = False, progress: Callable[[int, int, float], None] | None = None,
        meta: dict | None = None) -> dict:
    """Train `model` in place (or resume training it) and checkpoint it into the folder `out`.

    Args:
        batch: batch(rng) -> tensors whose first dimension is the batch; `model(*tensors)` -> (_, loss).
        out: checkpoint folder, written every `config.save_every` steps and at the end (None: never).
        resume: load `out`'s weights and optimiser state and continue up to `config.steps`.
        progress: progress(step, total_steps, loss) after every step (rank 0 only).
        meta: saved in config.json next to the model config (how the data was made, etc.).

    Returns:
        {"step": last step, "losses": this run's per-step losses, "seconds", "parameters"}.
    """
    out = Path(out) if out is not None else None
    rank, world = distributed()
    started = time.perf_counter()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    step = 0
    if resume:
        if out is None:
            raise MirrorfaceError("resume needs a checkpoint folder")
        load_model_weights(model, out)
        step, _ = load_train_state(out, optimizer)
    trained = nn.parallel.DistributedDataParallel(model) if world > 1 else model
    settings = asdict(config)
    info = {**(meta or {}), "train": settings, "mirrorface": mirrorface.__version__, "processes": world}
    losses: list[float] = []
    model.train()
    while step < config.steps:
        rng = np.random.default_rng([config.seed, step])
        torch.manual_seed(config.seed * 1_000_003 + step + 7919 * rank)
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(step)
        tensors = batch(rng)
        if world > 1:
            tensors = tuple(t[rank::world] for t in tensors)
        _, loss = trained(*tensors)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        step += 1
        value = loss.detach()
        if world > 1:
            dist.all_reduce(value)
            value /= world
        losses.append(float(value))
        if rank == 0 and progress is not None:
            progress(step, config.steps, losses[-1])
        if out is not None and rank == 0 and (step % config.save_every == 0 or step == config.steps):
            save_model(model, out, {**info, "step": step})
            save_train_state(out, optimizer, step, settings)
    model.eval()
    return {"step": step, "losses": losses, "seconds": time.perf_counter() - started,
            "parameters": sum(p.numel() for p in model.parameters())}
