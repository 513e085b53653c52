"""Speech to servo commands: targets -> VAE latents -> the FAT, streaming frame by frame.

    utterance -> articulation track (face fps) -> synthesized target frames -> mouth crops
      -> VAE encoder -> L_0 .. L_{F-1} -> FAT(A_{t-2}, A_{t-1}, L_t, L_{t+1}) -> A_t

The FAT runs autoregressively, one frame at a time, feeding on its own previous commands,
exactly as it would beside a live audio stream; the last frame reuses its latent as L_{t+1}.
A checkpoint folder for a face holds `vae/` and `fat/`; the built-in faces' defaults ship in
the package (`checkpoints/<face>/`), produced by `mirrorface train vae` and `mirrorface train fat`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

import mirrorface
from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.errors import MirrorfaceError
from mirrorface.export.onnx import FAT_ONNX, OnnxStreamingFAT, current_session, session
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.lipsync.frames import speaking_crops
from mirrorface.lipsync.latents import crop_of, encode_crops
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.models.threads import one_thread
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model

CHECKPOINTS = Path(mirrorface.__file__).parent / "checkpoints"


@dataclass
class LipSyncModels:
    vae: VAE
    fat: FAT
    fat_onnx: Path | None = None  # the FAT's own graph, streamed on onnxruntime when present
    _fat_session: object = field(default=None, init=False, repr=False, compare=False)  # opened once

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
        runner = current_session(graph, fat)
        models = cls(vae, fat, None if runner is None else graph)
        models._fat_session = runner
        return models

    def stream(self, start: np.ndarray) -> StreamingFAT | OnnxStreamingFAT:
        """The FAT one frame at a time from the face at `start`, on the fastest runtime at hand."""
        if self.fat_onnx is None:
            return StreamingFAT(self.fat, start)
        if self._fat_session is None:
            self._fat_session = session(self.fat_onnx)
        return OnnxStreamingFAT(self._fat_session, start)


class StreamingFAT:
    """The FAT one frame at a time, remembering its own last commands."""

    def __init__(self, fat: FAT, start: np.ndarray):
        self.fat = fat.eval()
        self.horizon = fat.config.horizon
        self.history = torch.from_numpy(np.tile(start, (fat.config.history, 1)).astype(np.float32))[None]

    @torch.inference_mode()
    def step(self, latents: np.ndarray) -> np.ndarray:
        """(horizon, latent) L_t, L_{t+1} -> A_t (n_actions,)."""
        with one_thread():  # one step is ~100 tiny operators: a second thread only waits
            commands, _ = self.fat(self.history, torch.from_numpy(latents.astype(np.float32))[None])
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


def latents_at(latents: np.ndarray, position: float, horizon: int) -> np.ndarray:
    """(horizon, latent): the latents at position, position + 1, ... (frames; past the end the
    last repeats), linearly interpolated between frames for a fractional position."""
    at = np.minimum(position + np.arange(horizon), len(latents) - 1)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(latents) - 1)
    w = (at - low)[:, None]
    return (1 - w) * latents[low] + w * latents[high]


def stream_commands(stream: StreamingFAT | OnnxStreamingFAT, latents: np.ndarray | Iterable[np.ndarray],
                    frames: float = 0) -> Iterator[np.ndarray]:
    """Target latents, (F, latent) or blocks of them as they come -> F commands, autoregressively.

    Command t reads the latents at t + frames .. t + frames + horizon - 1 (`latents_at`: past the
    end the last repeats; a fractional lead interpolates between frames, so the lead can match
    servo lag finer than a camera frame) and is computed as soon as those have arrived, so the
    FAT runs while later target frames are still being rendered.
    """
    horizon = stream.horizon
    ahead = int(np.ceil(frames)) + horizon - 1  # latents past L_t that command t reads
    seen, t = None, 0
    for block in [latents] if isinstance(latents, np.ndarray) else latents:
        seen = block if seen is None else np.concatenate([seen, block])
        while t + ahead < len(seen):
            yield stream.step(latents_at(seen, t + frames, horizon))
            t += 1
    if seen is None:
        return
    while t < len(seen):
        yield stream.step(latents_at(seen, t + frames, horizon))
        t += 1


@dataclass
class SpeechPlan:
    """What the face should do for one utterance, on the camera's frame clock."""

    track: Track  # articulation at the face's fps
    latents: np.ndarray  # (F, latent) of the synthesized target frames
    commands: np.ndarray  # (F, n) the FAT's commands, command k sent at k / fps


def target_latents(face: Painter, track: Track, vae: VAE, chunk: int = 48) -> Iterator[np.ndarray]:
    """Render the target frames and encode their mouth crops: blocks of latents, as they are ready."""
    crops = []
    for k, crop in enumerate(speaking_crops(face, track, crop_of(vae)), 1):
        crops.append(crop)
        if len(crops) == chunk or k == len(track):
            with one_thread():  # the other cores are rendering the next frames
                block = encode_crops(vae, np.stack(crops))
            crops = []
            yield block


def plan_speech(utt: Utterance, face: Painter, models: LipSyncModels,
                stream: StreamingFAT | OnnxStreamingFAT | None = None) -> SpeechPlan:
    """Text or audio in, the face's timed command trajectory out.

    The target frames are rendered by worker processes while this one encodes the finished ones
    and streams the FAT as far as their latents reach. `stream`: a FAT stream to continue (its
    history is the previous chunk's last commands), for speech planned chunk by chunk; by default
    a fresh one from the neutral pose.
    """
    track = track_of(utt, face.spec.camera.fps)
    if len(track) == 0:
        raise MirrorfaceError("the speech is too short to give a single frame")
    blocks = []

    def encoded() -> Iterator[np.ndarray]:
        for block in target_latents(face, track, models.vae):
            blocks.append(block)
            yield block

    stream = stream if stream is not None else models.stream(face.spec.neutral)
    commands = np.stack(list(stream_commands(stream, encoded(), models.fat.config.lead)))
    return SpeechPlan(track, np.concatenate(blocks), commands)
