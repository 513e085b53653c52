"""The lip-sync models' ONNX graphs on onnxruntime, without PyTorch: open them, check them, run them.

    vae/vae_encoder.onnx   crops (B, 3, S, S) float32 in [0, 1]                  -> mu (B, latent)
    fat/fat.onnx           actions (B, history, n), latents (B, horizon, latent) -> commands (B, horizon, n)

Each graph sits beside the weights it was exported from (`export.onnx`; `mirrorface export onnx
--face NAME` regenerates a face's graphs, and `mirrorface train vae|fat` writes them) and
records the SHA-256 of that `model.safetensors` in its metadata (`mirrorface.weights`). A graph
whose digest is not its folder's weights' (a retrained model beside an old graph) is never run:
`current_session` says so in one line and the caller runs the weights on PyTorch. So does a
damaged graph. MIRRORFACE_ONNX=0 runs every model on PyTorch, graphs or not.

`OnnxStreamingFAT` is the streaming loop of `lipsync.eager.StreamingFAT` on onnxruntime. One
streaming step is ~100 tiny operators: eager PyTorch spends it on per-operator dispatch (and,
with more than one intra-op thread on a busy machine, on waking threads), onnxruntime with one
thread runs the same graph several times faster (see benchmarks/lipsync.py). Importing PyTorch
takes about a second, most of a cold `mirrorface say`'s wait for its first sound.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.training.folder import WEIGHTS, weights_digest

VAE_ONNX = "vae_encoder.onnx"  # the VAE encoder's graph, in the VAE's checkpoint folder
FAT_ONNX = "fat.onnx"  # the FAT's graph, in the FAT's checkpoint folder
WEIGHTS_KEY = "mirrorface.weights"  # metadata: SHA-256 of the model.safetensors the graph came from
ENABLE = "MIRRORFACE_ONNX"  # "0": run the models on PyTorch even where current graphs exist

log = logging.getLogger(__name__)


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


def current_session(folder: str | Path, name: str):
    """A session on the graph `name` in the checkpoint folder `folder` if it was exported from that
    folder's weights, else None: no graph, MIRRORFACE_ONNX=0, or (with a one-line warning) a stale
    or damaged one."""
    graph = Path(folder) / name
    if os.environ.get(ENABLE, "1") == "0" or not graph.is_file():
        return None
    try:
        runner = session(graph)
    except MirrorfaceError as exc:  # a damaged graph is as good as a stale one: PyTorch runs the weights
        log.warning("%s; running the model on PyTorch instead", exc)
        return None
    if runner.get_modelmeta().custom_metadata_map.get(WEIGHTS_KEY) != weights_digest(folder):
        log.warning("%s was exported from other weights than the %s beside it: running the model on PyTorch "
                    "instead (`mirrorface export onnx --face NAME` regenerates the graphs)", graph, WEIGHTS)
        return None
    return runner


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
