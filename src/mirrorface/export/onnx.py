"""ONNX export of the deployed lip-sync models, for runtimes without PyTorch (onnxruntime, C++, phones).

    vae_encoder.onnx   crops (B, 3, S, S) float32 in [0, 1]          -> mu (B, latent)
    fat.onnx           actions (B, history, n), latents (B, horizon, latent) -> commands (B, horizon, n)

B is a dynamic axis. Each file carries its model's config as JSON in the metadata property
`mirrorface.config` (a runtime needs the VAE's crop placement and the FAT's shapes), the face's
name in `mirrorface.face` and the SHA-256 of the `model.safetensors` it was exported from in
`mirrorface.weights` (`export.graphs` runs a graph only beside those weights). The FAT's latent
normaliser is baked into its graph.

`mirrorface export onnx --face NAME` writes each graph beside its weights in the face's
checkpoint folder (`say` runs them on onnxruntime, without importing PyTorch), and `mirrorface
train vae|fat` write theirs; `--out DIR` exports a copy elsewhere.

We use torch.onnx's torch.export-based exporter (`dynamo=True`, the default since PyTorch 2.9;
the TorchScript one is deprecated). It exports in seconds, not milliseconds, and writes progress
and warnings of its own, which `_quietly` keeps out of the CLI's output.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mirrorface.errors import MirrorfaceError
from mirrorface.export.graphs import FAT_ONNX, VAE_ONNX, WEIGHTS_KEY, session
from mirrorface.models.fat import FAT
from mirrorface.models.vae import VAE
from mirrorface.training.folder import weights_digest

OPSET = 18


class VAEEncoder(nn.Module):
    """The VAE's encoder mean alone: what deployment needs."""

    def __init__(self, vae: VAE):
        super().__init__()
        self.vae = vae

    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(crops)[0]  # (B, 3, S, S) -> (B, latent)


class FATCommands(nn.Module):
    """The FAT without its loss: (actions, latents) -> commands."""

    def __init__(self, fat: FAT):
        super().__init__()
        self.fat = fat

    def forward(self, actions: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        return self.fat(actions, latents)[0]


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """Silence the exporter's progress lines, warnings and log records (errors still raise)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _export(module: nn.Module, example: tuple[torch.Tensor, ...], inputs: list[str], output: str, path: Path,
            metadata: dict[str, str]) -> Path:
    import onnx

    batch = torch.export.Dim("batch")
    path.parent.mkdir(parents=True, exist_ok=True)
    with _quietly():
        torch.onnx.export(module.eval(), example, str(path), input_names=inputs, output_names=[output],
                          dynamic_shapes=tuple({0: batch} for _ in example), opset_version=OPSET,
                          external_data=False, dynamo=True, verbose=False)
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, metadata)
    onnx.save(model, str(path))
    return path


def _metadata(config, face: str, weights: str | Path | None) -> dict[str, str]:
    digest = "" if weights is None else weights_digest(weights)
    return {"mirrorface.config": json.dumps(asdict(config)), "mirrorface.face": face, WEIGHTS_KEY: digest}


def export_vae_encoder(vae: VAE, path: str | Path, face: str = "", weights: str | Path | None = None) -> Path:
    """Write the VAE encoder (crops (B, 3, S, S) -> mu (B, latent)) to `path`.

    `weights`: the checkpoint folder `vae` was loaded from (or saved to), whose weights' digest
    the graph records; None for a model that has no folder (its graph is then never current).
    """
    s = vae.config.image_size
    example = (torch.rand(2, 3, s, s),)
    return _export(VAEEncoder(vae), example, ["crops"], "mu", Path(path), _metadata(vae.config, face, weights))


def export_fat(fat: FAT, path: str | Path, face: str = "", weights: str | Path | None = None) -> Path:
    """Write the FAT (actions (B, history, n), latents (B, horizon, latent) -> commands) to `path`.

    `weights`: as for `export_vae_encoder`.
    """
    c = fat.config
    example = (torch.rand(2, c.history, c.n_actions), torch.randn(2, c.horizon, c.latent))
    return _export(FATCommands(fat), example, ["actions", "latents"], "commands", Path(path),
                   _metadata(c, face, weights))


def parity(module: nn.Module, onnx_path: str | Path, inputs: tuple[torch.Tensor, ...]) -> float:
    """Max |onnxruntime - PyTorch| of `module` and its export on the same inputs."""
    runner = session(onnx_path)
    names = [i.name for i in runner.get_inputs()]
    got = runner.run(None, {n: x.numpy() for n, x in zip(names, inputs, strict=True)})[0]
    with torch.inference_mode():
        want = module.eval()(*inputs).numpy()
    return float(np.abs(got - want).max())


def export_lipsync(vae: VAE, fat: FAT, folder: str | Path, out: str | Path | None = None, face: str = "",
                   check: int = 64) -> dict[str, dict]:
    """Export both models of the checkpoint folder `folder` (vae/, fat/, which they were loaded from):
    each graph beside its weights, or with `out` both into that folder; with `check` > 0, measure
    parity on that many random inputs.

    Returns:
        {"vae_encoder": {"path", "bytes", "max_abs_diff"}, "fat": {...}} (max_abs_diff is NaN unchecked).
    """
    folder = Path(folder)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise MirrorfaceError(f"{out} is a file: the ONNX export needs a folder")
    rng = torch.Generator().manual_seed(0)
    s, c = vae.config.image_size, fat.config
    crops = torch.rand(check, 3, s, s, generator=rng)
    actions = torch.rand(check, c.history, c.n_actions, generator=rng)
    latents = torch.randn(check, c.horizon, c.latent, generator=rng)
    vae_dir, fat_dir = folder / "vae", folder / "fat"
    exported = {
        "vae_encoder": (VAEEncoder(vae), export_vae_encoder(vae, Path(out or vae_dir) / VAE_ONNX, face, vae_dir),
                        (crops,)),
        "fat": (FATCommands(fat), export_fat(fat, Path(out or fat_dir) / FAT_ONNX, face, fat_dir), (actions, latents)),
    }
    return {name: {"path": path, "bytes": path.stat().st_size,
                   "max_abs_diff": parity(module, path, inputs) if check > 0 else float("nan")}
            for name, (module, path, inputs) in exported.items()}
