"""A checkpoint folder's files read and written without torch: its config, its metadata, its weights' digest.

`say` reads a model's config here to run the model's ONNX graph on onnxruntime, and compares the
digest a graph was exported with against the folder's weights (`weights_digest`) so that a
retrained checkpoint never runs an old graph; neither needs PyTorch (`checkpoint` loads the
weights into a model).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from mirrorface.errors import MirrorfaceError
from mirrorface.files import atomic_output

WEIGHTS = "model.safetensors"
CONFIG = "config.json"

C = TypeVar("C")


def save_atomic(write: Callable[[str], None], path: Path) -> None:
    with atomic_output(path) as tmp:  # an interrupt leaves the previous file, never half of a new one
        write(str(tmp))


def write_json(data: dict, path: Path) -> None:
    save_atomic(lambda p: Path(p).write_text(json.dumps(data, indent=2), encoding="utf-8"), path)


def read_meta(folder: str | Path) -> dict:
    """The `training` section of a checkpoint's config.json."""
    return json.loads((Path(folder) / CONFIG).read_text(encoding="utf-8")).get("training", {})


def read_config(config_class: type[C], folder: str | Path, what: str = "model",
                train_command: str = "mirrorface train") -> C:
    """The model config of a checkpoint folder that holds both its files.

    Raises:
        MirrorfaceError: the folder lacks either file, or its config does not fit `config_class`.
    """
    folder = Path(folder)
    if not (folder / CONFIG).is_file() or not (folder / WEIGHTS).is_file():
        raise MirrorfaceError(f"no {what} at {folder}: train one with `{train_command} --out {folder}`")
    try:
        config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))["model"]
        return config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()})
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:  # JSON has no tuples: see above
        raise MirrorfaceError(f"{folder}: not a usable {what} checkpoint ({exc})") from exc


def weights_digest(folder: str | Path) -> str:
    """SHA-256 of a checkpoint folder's `model.safetensors` (the bytes: any retraining changes it)."""
    digest = hashlib.sha256()
    with open(Path(folder) / WEIGHTS, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
