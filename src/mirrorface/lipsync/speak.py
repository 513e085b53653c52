"""Speech to servo commands: targets -> VAE latents -> the FAT, streaming frame by frame.

    utterance -> articulation track (face fps) -> synthesized target frames -> mouth crops
      -> VAE encoder -> L_0 .. L_{F-1} -> FAT(A_{t-2}, A_{t-1}, L_t, L_{t+1}) -> A_t

The FAT runs autoregressively, one frame at a time, feeding on its own previous commands,
exactly as it would beside a live audio stream; the last frame reuses its latent as L_{t+1}.
A checkpoint folder for a face holds `vae/` and `fat/`; the built-in faces' defaults ship in
the package (`checkpoints/<face>/`), produced by `mirrorface train vae` and `mirrorface train fat`,
with their ONNX graphs (`mirrorface export onnx --face NAME`): `say` runs those on onnxruntime and
never imports PyTorch, which would take most of a cold start (set MIRRORFACE_ONNX=0 to run PyTorch).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import mirrorface
from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.errors import MirrorfaceError
from mirrorface.export.graphs import FAT_ONNX, VAE_ONNX, OnnxStreamingFAT, current_session
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.lipsync.crop import crop_of, to_chw
from mirrorface.lipsync.frames import speaking_crops
from mirrorface.models.configs import FATConfig, VAEConfig
from mirrorface.training.folder import read_config

if TYPE_CHECKING:  # PyTorch is imported only where a model runs on it
    from mirrorface.lipsync.eager import StreamingFAT
    from mirrorface.models.fat import FAT
    from mirrorface.models.vae import VAE

CHECKPOINTS = Path(mirrorface.__file__).parent / "checkpoints"
TRAIN = {"vae": ("VAE", "mirrorface train vae"), "fat": ("FAT", "mirrorface train fat")}  # what, how to make one


@dataclass
class LipSyncModels:
    """A face's VAE and FAT, each run on its ONNX graph (onnxruntime) where the checkpoint has a
    current one, else on PyTorch. `vae` and `fat`, the PyTorch modules, are loaded when a model
    runs on PyTorch, or on first use (an export, an evaluation)."""

    vae_config: VAEConfig
    fat_config: FATConfig
    folder: Path | None = None  # the checkpoint folder (vae/, fat/); None: modules given in memory
    encoder: object = None  # an onnxruntime session on vae/vae_encoder.onnx, or None: PyTorch
    fat_session: object = None  # an onnxruntime session on fat/fat.onnx, or None: PyTorch
    _modules: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, spec: FaceSpec, folder: str | Path | None = None, graphs: bool = True) -> LipSyncModels:
        """`folder`/vae and `folder`/fat (default: the models shipped for the face).

        A graph exported from the weights beside it (`export.graphs.current_session`) runs on
        onnxruntime, and then the model's config is all that is read: PyTorch is not imported.
        A model without one is loaded on PyTorch now, so that a forked live planner (one per chat
        reply) inherits it. `graphs=False` leaves the graphs unopened (the export that replaces them).
        """
        folder = Path(folder) if folder is not None else CHECKPOINTS / spec.name
        vae = read_config(VAEConfig, folder / "vae", *TRAIN["vae"])
        fat = read_config(FATConfig, folder / "fat", *TRAIN["fat"])
        if fat.n_actions != spec.n:
            raise MirrorfaceError(f"the FAT in {folder / 'fat'} drives {fat.n_actions} actuators, "
                                  f"face {spec.name!r} has {spec.n}")
        if not graphs:
            return cls(vae, fat, folder)
        models = cls(vae, fat, folder, current_session(folder / "vae", VAE_ONNX),
                     current_session(folder / "fat", FAT_ONNX))
        for name, runner in (("vae", models.encoder), ("fat", models.fat_session)):
            if runner is None:
                models._module(name)
        return models

    @classmethod
    def of(cls, vae: VAE, fat: FAT) -> LipSyncModels:
        """Models already in memory (trained, or changed, in this process): on PyTorch."""
        models = cls(vae.config, fat.config)
        models._modules.update(vae=vae, fat=fat)
        return models

    @property
    def vae(self) -> VAE:
        return self._module("vae")

    @property
    def fat(self) -> FAT:
        return self._module("fat")

    def _module(self, name: str):
        if name not in self._modules:
            from mirrorface.models.fat import FAT
            from mirrorface.models.vae import VAE
            from mirrorface.training.checkpoint import load_model

            model, config = (VAE, VAEConfig) if name == "vae" else (FAT, FATConfig)
            self._modules[name] = load_model(model, config, self.folder / name, *TRAIN[name])
        return self._modules[name]

    @property
    def runtimes(self) -> str:
        """Where each model runs, e.g. "VAE encoder on onnxruntime, FAT on PyTorch"."""
        return ", ".join(f"{what} on {'PyTorch' if runner is None else 'onnxruntime'}"
                         for what, runner in (("VAE encoder", self.encoder), ("FAT", self.fat_session)))

    def encode(self, crops: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 mouth crops -> (N, latent) float32 latent means."""
        if self.encoder is not None:
            return self.encoder.run(None, {"crops": to_chw(crops)})[0]
        from mirrorface.lipsync.latents import encode_crops
        from mirrorface.models.threads import one_thread

        with one_thread():  # the other cores are rendering the next frames
            return encode_crops(self.vae, crops)

    def commands(self, stream: StreamingFAT | OnnxStreamingFAT,
                 latents: np.ndarray | Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """`stream_commands` with this FAT's calibrated leads (the lips', and each actuator's own)."""
        return stream_commands(stream, latents, self.fat_config.lead, self.fat_config.actuator_lead)

    def stream(self, start: np.ndarray) -> StreamingFAT | OnnxStreamingFAT:
        """The FAT one frame at a time from the face at `start`, on its runtime."""
        if self.fat_session is not None:
            return OnnxStreamingFAT(self.fat_session, start)
        from mirrorface.lipsync.eager import StreamingFAT

        return StreamingFAT(self.fat, start)


def lead(x: np.ndarray, frames: int = 1) -> np.ndarray:
    """Row k -> row k + frames (the last repeats): what the command sent at k / fps must aim at.

    A command shows in the camera one frame period after it is sent (the babbling pairing the
    models learn), so to look like target frame k + 1 at time (k + 1) / fps the face must be sent
    its command at k / fps: a lead of one frame. Servos that lag more need more; the FAT's lead
    is calibrated after training (`train_fat.calibrate_lead`).
    """
    return np.concatenate([x[frames:], np.repeat(x[-1:], min(frames, len(x)), axis=0)])[: len(x)]


def between_frames(at: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fractional positions in `count` frames -> the frame at or before each, the frame after it, and the
    weight of the frame after; past the last frame the last repeats."""
    at = np.minimum(at, count - 1)
    low = np.floor(at).astype(int)
    return low, np.minimum(low + 1, count - 1), at - low


def latents_at(latents: np.ndarray, position: float, horizon: int) -> np.ndarray:
    """(horizon, latent): the latents at position, position + 1, ... (frames; past the end the
    last repeats), linearly interpolated between frames for a fractional position."""
    low, high, w = between_frames(position + np.arange(horizon), len(latents))
    return (1 - w[:, None]) * latents[low] + w[:, None] * latents[high]


def stream_commands(stream: StreamingFAT | OnnxStreamingFAT, latents: np.ndarray | Iterable[np.ndarray],
                    frames: float = 0, actuator_lead: tuple[float, ...] = ()) -> Iterator[np.ndarray]:
    """Target latents, (F, latent) or blocks of them as they come -> F commands, autoregressively.

    Command t reads the latents at t + frames .. t + frames + horizon - 1 (`latents_at`: past the
    end the last repeats; a fractional lead interpolates between frames, so the lead can match
    servo lag finer than a camera frame) and is computed as soon as those have arrived, so the
    FAT runs while later target frames are still being rendered. `actuator_lead` (frames per
    actuator, see `stagger`) sends a slow actuator its part of each move earlier than the rest.
    """
    return stagger(_fat_steps(stream, latents, frames), actuator_lead)


def stagger(commands: Iterable[np.ndarray], ahead: np.ndarray | tuple[float, ...]) -> Iterator[np.ndarray]:
    """Commands with actuator i's value taken `ahead[i]` frames later in the stream (interpolated
    between frames; past the end the last repeats), each yielded once the ones it reads have come;
    the commands as they are where no actuator goes ahead (`ahead` empty or all 0).

    One lead cannot time a mouth whose actuators move at different speeds: lips10's jaw (speed
    limit 3.5/s) needs ~100 ms to shut from a vowel where the lips (6/s) need ~50 ms, so a lead that
    times the jaw shuts the lips early and one that times the lips shuts the jaw late. The FAT still
    feeds on its own, unstaggered, commands, the pairing it was trained on.
    """
    ahead = np.asarray(ahead, float)
    if not ahead.any():
        yield from commands
        return
    wait = int(np.ceil(ahead.max()))
    seen: list[np.ndarray] = []
    t = 0

    def at(k: int) -> np.ndarray:
        low, high, w = between_frames(k + ahead, len(seen))
        a, b = (np.array([seen[row][i] for i, row in enumerate(rows)]) for rows in (low, high))
        return (a + w * (b - a)).astype(seen[0].dtype)

    for command in commands:
        seen.append(command)
        while t + wait < len(seen):
            yield at(t)
            t += 1
    while t < len(seen):
        yield at(t)
        t += 1


def _fat_steps(stream: StreamingFAT | OnnxStreamingFAT, latents: np.ndarray | Iterable[np.ndarray],
               frames: float) -> Iterator[np.ndarray]:
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


def target_latents(face: Painter, track: Track, models: LipSyncModels, chunk: int = 48) -> Iterator[np.ndarray]:
    """Render the target frames and encode their mouth crops: blocks of latents, as they are ready."""
    crops = []
    for k, crop in enumerate(speaking_crops(face, track, crop_of(models.vae_config)), 1):
        crops.append(crop)
        if len(crops) == chunk or k == len(track):
            block = models.encode(np.stack(crops))
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
        for block in target_latents(face, track, models):
            blocks.append(block)
            yield block

    stream = stream if stream is not None else models.stream(face.spec.neutral)
    commands = np.stack(list(models.commands(stream, encoded())))
    return SpeechPlan(track, np.concatenate(blocks), commands)
