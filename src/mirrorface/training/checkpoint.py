"""Checkpoint folders: `model.safetensors` + `config.json`, and the optimiser's state beside them.

A model folder is enough to rebuild the model: `config.json` holds the model's config dataclass
(and how it was trained), `model.safetensors` its weights and buffers. Training adds
`train_state.safetensors` (optimiser tensors) and `train_state.json` (step, settings), so an
interrupted run resumes. Every file is written to a temporary name and renamed, so an interrupt
leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from mirrorface.errors import MirrorfaceError
from mirrorface.training.folder import WEIGHTS, read_config, save_atomic, write_json

M = TypeVar("M", bound=nn.Module)


def save_model(model: nn.Module, folder: str | Path, meta: dict | None = None) -> None:
    """Write model.safetensors + config.json (the model's `config` dataclass and `meta`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_atomic(lambda p: save_file(tensors, p), folder / WEIGHTS)
    write_json({"model": asdict(model.config), "training": meta or {}}, folder / "config.json")


def load_model(model_class: type[M], config_class: type, folder: str | Path, what: str = "model",
               train_command: str = "mirrorface train") -> M:
    """Rebuild `model_class(config_class(**config))` from a folder and load its weights; eval mode.

    Raises:
        MirrorfaceError: the folder lacks either file, or they do not fit each other.
    """
    config = read_config(config_class, folder, what, train_command)
    try:
        model = model_class(config)
        model.load_state_dict(load_file(str(Path(folder) / WEIGHTS)))
    except (RuntimeError, SafetensorError) as exc:
        raise MirrorfaceError(f"{folder}: not a usable {what} checkpoint ({exc})") from exc
    return model.eval()


def load_model_weights(model: nn.Module, folder: str | Path) -> None:
    """Load a folder's weights into an already built model (resuming a run)."""
    try:
        model.load_state_dict(load_file(str(Path(folder) / WEIGHTS)))
    except (OSError, RuntimeError, SafetensorError) as exc:
        raise MirrorfaceError(f"{folder}: cannot resume from its weights ({exc})") from exc


def save_train_state(folder: Path, optimizer: torch.optim.Optimizer, step: int, settings: dict) -> None:
    state = optimizer.state_dict()
    tensors = {f"{i}.{k}": v.contiguous() for i, s in state["state"].items() for k, v in s.items()
               if isinstance(v, torch.Tensor)}
    save_atomic(lambda p: save_file(tensors, p), folder / "train_state.safetensors")
    write_json({"step": step, "train": settings, "param_groups": state["param_groups"]},
               folder / "train_state.json")


def load_train_state(folder: Path, optimizer: torch.optim.Optimizer) -> tuple[int, dict]:
    """Restore the optimiser; returns (step, the settings saved with it)."""
    if not (folder / "train_state.json").is_file():
        raise MirrorfaceError(f"nothing to resume in {folder}: it has no train_state.json")
    meta = json.loads((folder / "train_state.json").read_text(encoding="utf-8"))
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in load_file(str(folder / "train_state.safetensors")).items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["param_groups"]]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return int(meta["step"]), meta["train"]
