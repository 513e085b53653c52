"""Speech to servo commands: targets -> VAE latents -> the FAT, streaming frame by frame.

    utterance -> articulation track (face fps) -> synthesized target frames -> mouth crops
      -> VAE encoder -> L_0 .. L_{F-1} -> FAT(A_{t-2}, A_{t-1}, L_t, L_{t+1}) -> A_t

The FAT runs autoregressively, one frame at a time, feeding on its own previous commands,
exactly as it would beside a live audio stream; the last frame reuses its latent as L_{t+1}.
A checkpoint folder for a face holds `vae/` and `fat/`; the built-in faces' defaults ship in
the package (`checkpoints/<face>/`), produced by `mirrorface train vae` and `mirrorface train fat`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import mirrorface
from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.errors import MirrorfaceError
from mirrorface.export.onnx import FAT_ONNX, OnnxStreamingFAT, exported_from
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.sim import SimFace
from mirrorface.lipsync.frames import speaking_crops
from mirrorface.lipsync.latents import crop_of, encode_crops
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model

CHECKPOINTS = Path(mirrorface.__file__).parent / "checkpoints"


@dataclass
class LipSyncModels:
    vae: VAE
    fat: FAT
    fat_onnx: Path | None = None  # the FAT's own graph, streamed on onnxruntime when present

    @classmethod
    def load(cls, spec: FaceSpec, folder: str | Path | None = None) -> LipSyncModels:
        """`folder`/vae and `folder`/fat (default: the models shipped for the face).

        A `fat.onnx` in the FAT's folder exported from its weights (`mirrorface train fat` writes
        one) streams the commands on onnxruntime; without one, or a stale one, PyTorch does.
        """
        folder = Path(folder) if folder is not None else CHECKPOINTS / spec.name
        vae = load_model(VAE, VAEConfig, folder / "vae", "VAE", "mirrorface train vae")
        fat = load_model(FAT, FATConfig, folder / "fat", "FAT", "mirrorface train fat")
        if fat.config.n_actions != spec.n:
            raise MirrorfaceError(f"the FAT in {folder / 'fat'} drives {fat.config.n_actions} actuators, "
                                  f"face {spec.name!r} has {spec.n}")
        graph = folder / "fat" / FAT_ONNX
        return cls(vae, fat, graph if exported_from(graph, fat) else None)

    def stream(self, start: np.ndarray) -> StreamingFAT | OnnxStreamingFAT:
        """The FAT one frame at a time from the face at `start`, on the fastest runtime at hand."""
        return StreamingFAT(self.fat, start) if self.fat_onnx is None else OnnxStreamingFAT(self.fat_onnx, start)


class StreamingFAT:
    """The FAT one frame at a time, remembering its own last commands."""

    def __init__(self, fat: FAT, start: np.ndarray):
        self.fat = fat.eval()
        self.horizon = fat.config.horizon
        self.history = torch.from_numpy(np.tile(start, (fat.config.history, 1)).astype(np.float32))[None]

    @torch.inference_mode()
    def step(self, latents: np.ndarray) -> np.ndarray:
        """(horizon, latent) L_t, L_{t+1} -> A_t (n_actions,)."""
        # One step is ~100 tiny operators: a second intra-op thread only waits for the first, and
        # on a busy 2-core machine that made steps 10-100x slower (benchmarks/lipsync.py).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            commands, _ = self.fat(self.history, torch.from_numpy(latents.astype(np.float32))[None])
        finally:
            torch.set_num_threads(threads)
        now = commands[:, :1]  # (1, 1, n)
        self.history = torch.cat([self.history[:, 1:], now], dim=1)
        return now[0, 0].numpy()


def lead(x: np.ndarray, frames: int = 1) -> np.ndarray:
    """Row k -> row k + frames (the last repeats): what the command sent at k / fps must aim at.

    A command shows in the camera one frame period after it is sent (the babbling pairing the
    models learn), so to look like target frame k + 1 at time (k + 1) / fps the face must be sent
    its command at k / fps: a lead of one frame. Servos that lag more need more; the FAT's lead
    is calibrated after training (`train_fat.calibrate_lead`).
    """
    return np.concatenate([x[frames:], np.repeat(x[-1:], min(frames, len(x)), axis=0)])[: len(x)]


def stream_commands(stream: StreamingFAT | OnnxStreamingFAT, latents: np.ndarray) -> Iterator[np.ndarray]:
    """(F, latent) target latents -> F commands, one per frame, autoregressively."""
    horizon = stream.horizon
    padded = np.concatenate([latents, np.repeat(latents[-1:], horizon - 1, axis=0)])
    for t in range(len(latents)):
        yield stream.step(padded[t : t + horizon])


@dataclass
class SpeechPlan:
    """What the face should do for one utterance, on the camera's frame clock."""

    track: Track  # articulation at the face's fps
    latents: np.ndarray  # (F, latent) of the synthesized target frames
    commands: np.ndarray  # (F, n) the FAT's commands, command k sent at k / fps


def target_latents(face: SimFace, track: Track, vae: VAE, chunk: int = 240) -> np.ndarray:
    """Render the target frames and encode their mouth crops, a chunk at a time (bounded memory)."""
    latents, crops = [], []
    for crop in speaking_crops(face, track, crop_of(vae)):
        crops.append(crop)
        if len(crops) == chunk:
            latents.append(encode_crops(vae, np.stack(crops)))
            crops = []
    if crops:
        latents.append(encode_crops(vae, np.stack(crops)))
    return np.concatenate(latents)


def plan_speech(utt: Utterance, face: SimFace, models: LipSyncModels) -> SpeechPlan:
    """Text or audio in, the face's timed command trajectory out."""
    track = track_of(utt, face.spec.camera.fps)
    if len(track) == 0:
        raise MirrorfaceError("the speech is too short to give a single frame")
    latents = target_latents(face, track, models.vae)
    commands = np.stack(list(stream_commands(models.stream(face.spec.neutral), lead(latents, models.fat.config.lead))))
    return SpeechPlan(track, latents, commands)
