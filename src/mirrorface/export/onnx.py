"""ONNX export of the deployed lip-sync models, for runtimes without PyTorch (onnxruntime, C++, phones).

    vae_encoder.onnx   crops (B, 3, S, S) float32 in [0, 1]          -> mu (B, latent)
    fat.onnx           actions (B, history, n), latents (B, horizon, latent) -> commands (B, horizon, n)

B is a dynamic axis. Each file carries its model's config as JSON in the metadata property
`mirrorface.config` (a runtime needs the VAE's crop placement and the FAT's shapes), the face's
name in `mirrorface.face` and a digest of the weights it was exported from in
`mirrorface.weights`. The FAT's latent normaliser is baked into its graph.

`mirrorface train fat` also writes `fat.onnx` into the FAT's checkpoint folder: `say` streams on
it with onnxruntime (several times faster per step than eager PyTorch) when its digest matches
the folder's weights, and on PyTorch otherwise.

We use torch.onnx's torch.export-based exporter (`dynamo=True`, the default since PyTorch 2.9;
the TorchScript one is deprecated). It exports in seconds, not milliseconds, and writes progress
and warnings of its own, which `_quietly` keeps out of the CLI's output.

`OnnxStreamingFAT` is the streaming loop of `lipsync.speak.StreamingFAT` on onnxruntime. One
streaming step is ~100 tiny operators: eager PyTorch spends it on per-operator dispatch (and,
with more than one intra-op thread on a busy machine, on waking threads), onnxruntime with one
thread runs the same graph several times faster (see benchmarks/lipsync.py).
"""

from __future__ import annotations

import contextlib
import hashlib
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
from mirrorface.models.fat import FAT
from mirrorface.models.vae import VAE

OPSET = 18
FAT_ONNX = "fat.onnx"  # the name of the FAT's graph inside its checkpoint folder


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


def weights_digest(module: nn.Module) -> str:
    """SHA-256 over a module's parameters and buffers (names, shapes, values)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(f"{name}{tuple(tensor.shape)}".encode())
        digest.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()


def current_session(path: str | Path, module: nn.Module):
    """An onnxruntime session on `path` if that file was exported from `module`'s current weights, else None."""
    if not Path(path).is_file():
        return None
    try:
        runner = session(path)
    except MirrorfaceError as exc:  # a damaged graph is as good as a stale one: PyTorch runs the weights
        logging.getLogger(__name__).warning("%s; running the model on PyTorch instead", exc)
        return None
    current = runner.get_modelmeta().custom_metadata_map.get("mirrorface.weights") == weights_digest(module)
    return runner if current else None


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


def export_vae_encoder(vae: VAE, path: str | Path, face: str = "") -> Path:
    """Write the VAE encoder (crops (B, 3, S, S) -> mu (B, latent)) to `path`."""
    s = vae.config.image_size
    example = (torch.rand(2, 3, s, s),)
    return _export(VAEEncoder(vae), example, ["crops"], "mu", Path(path),
                   {"mirrorface.config": json.dumps(asdict(vae.config)), "mirrorface.face": face,
                    "mirrorface.weights": weights_digest(vae)})


def export_fat(fat: FAT, path: str | Path, face: str = "") -> Path:
    """Write the FAT (actions (B, history, n), latents (B, horizon, latent) -> commands) to `path`."""
    c = fat.config
    example = (torch.rand(2, c.history, c.n_actions), torch.randn(2, c.horizon, c.latent))
    return _export(FATCommands(fat), example, ["actions", "latents"], "commands", Path(path),
                   {"mirrorface.config": json.dumps(asdict(c)), "mirrorface.face": face,
                    "mirrorface.weights": weights_digest(fat)})


def session(path: str | Path, threads: int = 1):
    """An onnxruntime CPU session; one intra-op thread suits these small, latency-bound graphs."""
    import onnxruntime as ort

    if not Path(path).is_file():
        raise MirrorfaceError(f"no ONNX model at {path}: export one with `mirrorface export onnx`")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors (InvalidProtobuf, Fail, ...) share no base but Exception
        reason = str(exc).split(":")[-1].strip() or type(exc).__name__
        raise MirrorfaceError(f"{path} is not a usable ONNX model ({reason}); export it again") from None


def parity(module: nn.Module, onnx_path: str | Path, inputs: tuple[torch.Tensor, ...]) -> float:
    """Max |onnxruntime - PyTorch| of `module` and its export on the same inputs."""
    runner = session(onnx_path)
    names = [i.name for i in runner.get_inputs()]
    got = runner.run(None, {n: x.numpy() for n, x in zip(names, inputs, strict=True)})[0]
    with torch.inference_mode():
        want = module.eval()(*inputs).numpy()
    return float(np.abs(got - want).max())


def export_lipsync(vae: VAE, fat: FAT, out: str | Path, face: str = "", check: int = 64) -> dict[str, dict]:
    """Export both models into the folder `out`; with `check` > 0, measure parity on that many random inputs.

    Returns:
        {"vae_encoder": {"path", "bytes", "max_abs_diff"}, "fat": {...}} (max_abs_diff is NaN unchecked).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise MirrorfaceError(f"{out} is a file: the ONNX export needs a folder")
    rng = torch.Generator().manual_seed(0)
    s, c = vae.config.image_size, fat.config
    crops = torch.rand(check, 3, s, s, generator=rng)
    actions = torch.rand(check, c.history, c.n_actions, generator=rng)
    latents = torch.randn(check, c.horizon, c.latent, generator=rng)
    exported = {
        "vae_encoder": (VAEEncoder(vae), export_vae_encoder(vae, out / "vae_encoder.onnx", face), (crops,)),
        "fat": (FATCommands(fat), export_fat(fat, out / "fat.onnx", face), (actions, latents)),
    }
    return {name: {"path": path, "bytes": path.stat().st_size,
                   "max_abs_diff": parity(module, path, inputs) if check > 0 else float("nan")}
            for name, (module, path, inputs) in exported.items()}


class OnnxStreamingFAT:
    """`StreamingFAT` on onnxruntime: the FAT one frame at a time, feeding on its own commands."""

    def __init__(self, graph, start: np.ndarray):
        """`graph`: the FAT's ONNX file, or an onnxruntime session already open on it."""
        self.session = session(graph) if isinstance(graph, str | Path) else graph
        actions, latents = self.session.get_inputs()
        self.horizon = latents.shape[1]  # the graph's fixed L_t, L_{t+1} axis
        self.history = np.tile(np.asarray(start, np.float32), (actions.shape[1], 1))[None]  # (1, history, n)

    def step(self, latents: np.ndarray) -> np.ndarray:
        """(horizon, latent) L_t, L_{t+1} -> A_t (n_actions,)."""
        commands = self.session.run(None, {"actions": self.history, "latents": latents[None].astype(np.float32)})[0]
        self.history = np.concatenate([self.history[:, 1:], commands[:, :1]], axis=1)
        return commands[0, 0]
