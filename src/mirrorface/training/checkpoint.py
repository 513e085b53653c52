"""Checkpoint folders: `model.safetensors` + `config.json`, and the optimiser's state beside them.

A model folder is enough to rebuild the model: `config.json` holds the model's config dataclass
(and how it was trained), `model.safetensors` its weights and buffers. Training adds
`train_state.safetensors` (optimiser tensors) and `train_state.json` (step, settings), so an
interrupted run resumes. Every file is written to a temporary name and renamed, so an interrupt
leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from mirrorface.errors import MirrorfaceError
from mirrorface.files import atomic_output

M = TypeVar("M", bound=nn.Module)


def save_atomic(write: Callable[[str], None], path: Path) -> None:
    with atomic_output(path) as tmp:  # an interrupt leaves the previous file, never half of a new one
        write(str(tmp))


def write_json(data: dict, path: Path) -> None:
    save_atomic(lambda p: Path(p).write_text(json.dumps(data, indent=2), encoding="utf-8"), path)


def save_model(model: nn.Module, folder: str | Path, meta: dict | None = None) -> None:
    """Write model.safetensors + config.json (the model's `config` dataclass and `meta`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_atomic(lambda p: save_file(tensors, p), folder / "model.safetensors")
    write_json({"model": asdict(model.config), "training": meta or {}}, folder / "config.json")


def read_meta(folder: str | Path) -> dict:
    """The `training` section of a checkpoint's config.json."""
    return json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")).get("training", {})


def load_model(model_class: type[M], config_class: type, folder: str | Path, what: str = "model",
               train_command: str = "mirrorface train") -> M:
    """Rebuild `model_class(config_class(**config))` from a folder and load its weights; eval mode.

    Raises:
        MirrorfaceError: the folder lacks either file, or they do not fit each other.
    """
    folder = Path(folder)
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        raise MirrorfaceError(f"no {what} at {folder}: train one with `{train_command} --out {folder}`")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))["model"]
        model = model_class(config_class(**_tuples(config)))
        model.load_state_dict(load_file(str(folder / "model.safetensors")))
    except (KeyError, TypeError, ValueError, RuntimeError, SafetensorError, json.JSONDecodeError) as exc:
        raise MirrorfaceError(f"{folder}: not a usable {what} checkpoint ({exc})") from exc
    return model.eval()


def load_model_weights(model: nn.Module, folder: str | Path) -> None:
    """Load a folder's weights into an already built model (resuming a run)."""
    try:
        model.load_state_dict(load_file(str(Path(folder) / "model.safetensors")))
    except (OSError, RuntimeError, SafetensorError) as exc:
        raise MirrorfaceError(f"{folder}: cannot resume from its weights ({exc})") from exc


def _tuples(config: dict) -> dict:
    """JSON has no tuples; frozen config dataclasses keep their sequences as tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}


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
