"""The lip-sync paper's evaluation on the simulated face: Table 1, Fig. 5, word groups, articulation.

For every utterance the target frames are synthesized, each method turns them (or the audio)
into commands, and the commands are *performed* on a fresh simulated face through the safety
layer, with servo lag, speed limits and backlash: the score compares what the camera then
sees with the target, never the commanded pose.

Error (the paper's): per frame, the mean squared difference between the 16-d VAE latents of the
target frame and of the robot's frame. The primary scorer is a VAE trained independently of the
one the FAT was trained with (other seed, other weights), so the method is not graded by the
model it was optimised against; the FAT's own VAE scores too, for comparison.

Articulation is measured on the performed motion with the simulator's own lip geometry
(`eval.articulation`): bilabial closure hits, labiodental contact, false closures on open
vowels, the lip-audio offset, and jerk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.sources import Utterance, from_text, track_of
from mirrorface.constants import ACTION, LANDMARKS
from mirrorface.data.dataset import Dataset
from mirrorface.eval import articulation as art
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.sim import SimFace
from mirrorface.lipsync import baselines
from mirrorface.lipsync.crop import crop_of
from mirrorface.lipsync.execute import execute
from mirrorface.lipsync.latents import encode_frames
from mirrorface.lipsync.speak import LipSyncModels, lead
from mirrorface.models.vae import VAE
from mirrorface.perception.landmarks import FaceMeshDetector
from mirrorface.targets.frames import speaking_frames

METHODS = {
    "ours": "VAE + FAT (ours)",
    "nearest_landmarks": "nearest-neighbour landmarks",
    "amplitude": "audio amplitude (jaw)",
    "shift_0.033": "ours shifted 0.033 s",
    "shift_0.5": "ours shifted 0.5 s",
    "random": "random selection",
}
OFFSET_WINDOW_MS = 600  # wide enough to see the 0.5 s shift baseline's true lag


@dataclass
class Context:
    """Everything the methods and scorers need, loaded once."""

    spec: FaceSpec
    models: LipSyncModels
    scorers: dict[str, VAE]  # "independent" first: the primary scorer
    babble_landmarks: np.ndarray  # (N, 468, 3)
    babble_commands: np.ndarray  # (N, n)
    seed: int = 0

    @classmethod
    def load(cls, spec: FaceSpec, models: LipSyncModels, scorer: VAE, babble: Dataset, seed: int = 0) -> Context:
        return cls(spec, models, {"independent": scorer, "fat_vae": models.vae},
                   babble.array(LANDMARKS), babble.array(ACTION), seed)


@dataclass
class Case:
    """One utterance, performed by several methods."""

    label: str
    utt: Utterance
    track: Track
    target_frames: np.ndarray  # (F, H, W, 3)
    errors: dict[str, dict[str, np.ndarray]]  # method -> scorer -> (F,) per-frame latent MSE
    commands: dict[str, np.ndarray]  # method -> (F, n)
    robot_frames: dict[str, np.ndarray]  # method -> (F, H, W, 3), kept only for the first method
    articulation: dict[str, dict]  # method -> metrics


def our_commands(ctx: Context, target_frames: np.ndarray) -> np.ndarray:
    """VAE + FAT: the target frames' latents streamed through the FAT, (F, n) commands."""
    latents = ctx.models.encode(crop_of(ctx.models.vae_config)(target_frames))  # on the runtime `say` uses
    return np.stack(list(ctx.models.commands(ctx.models.stream(ctx.spec.neutral), latents)))


def method_commands(ctx: Context, method: str, utt: Utterance, target_frames: np.ndarray,
                    ours: np.ndarray) -> np.ndarray:
    fps = ctx.spec.camera.fps
    n = len(target_frames)
    if method == "ours":
        return ours
    if method == "nearest_landmarks":
        with FaceMeshDetector(video=True) as detector:
            found = [detector(f) for f in target_frames]
        marks = np.stack([m if m is not None else np.full((468, 3), np.nan, np.float32) for m in found])
        # the babbling pairs a command with the frame after it: lead by that one frame
        return lead(baselines.nearest_landmarks(marks, ctx.babble_landmarks, ctx.babble_commands))
    if method == "amplitude":
        return baselines.audio_amplitude(utt.audio, utt.sample_rate, fps, n, ctx.spec)
    if method.startswith("shift_"):
        return baselines.shifted(ours, fps, float(method.removeprefix("shift_")))
    if method == "random":
        return baselines.random_selection(ctx.babble_commands, n, np.random.default_rng(ctx.seed))
    raise ValueError(f"unknown method {method!r}")


def articulation_metrics(face: Painter, positions: np.ndarray, track: Track, utt: Utterance) -> dict:
    fps = track.fps
    gap = art.lip_gap_mm(face, positions)
    reference = art.target_gap_mm(track.values)
    phonemes = utt.phonemes if utt.phonemes is not None else track.closures
    return {
        "bilabial": art.closure_hit_rate(gap, fps, art.intervals(track, "bilabial")),
        "labiodental": art.labiodental_contact_rate(art.labiodental_contact(face, positions), fps,
                                                    art.intervals(phonemes, "labiodental", utt.lang)),
        "false_closure": art.false_closure_rate(gap, fps, art.intervals(phonemes, "open_vowel", utt.lang)),
        "offset_ms": art.lip_audio_offset_ms(gap, reference, fps, max_lag_ms=OFFSET_WINDOW_MS),
        "jerk": art.mean_abs_jerk(positions, fps),
    }


def run_case(ctx: Context, label: str, utt: Utterance, methods: tuple[str, ...] = tuple(METHODS),
             keep_frames: bool = False) -> Case:
    """Synthesize the targets, perform every method on a fresh face, score what the camera saw."""
    fps = ctx.spec.camera.fps
    track = track_of(utt, fps)
    target_frames = np.stack(list(speaking_frames(Painter(ctx.spec, seed=ctx.seed), track)))
    target_latents = {name: encode_frames(v, target_frames) for name, v in ctx.scorers.items()}
    ours = our_commands(ctx, target_frames)
    case = Case(label, utt, track, target_frames if keep_frames else target_frames[:0], {}, {}, {}, {})
    for method in methods:
        commands = method_commands(ctx, method, utt, target_frames, ours)
        scored = perform_and_score(ctx.spec, commands, ctx.scorers, target_latents, ctx.seed + 1)
        case.commands[method] = scored.sent
        case.errors[method] = scored.errors
        case.articulation[method] = articulation_metrics(scored.face, scored.positions, track, utt)
        if keep_frames and method == methods[0]:
            case.robot_frames[method] = scored.frames
    return case


@dataclass
class Scored:
    face: Painter  # the painter of the face that performed (its geometry measures the lips)
    sent: np.ndarray  # (F, n) commands after the safety layer
    positions: np.ndarray  # (F, n) measured positions
    frames: np.ndarray  # (F, H, W, 3) what the camera saw
    errors: dict[str, np.ndarray]  # scorer -> (F,) per-frame latent MSE


def perform_and_score(spec: FaceSpec, commands: np.ndarray, scorers: dict[str, VAE],
                      target_latents: dict[str, np.ndarray], seed: int) -> Scored:
    """Perform `commands` on a fresh simulated face; per-frame latent MSE against the targets."""
    with SimFace(spec, seed=seed) as robot:
        run = execute(robot, commands, spec.camera.fps)
    errors = {name: ((encode_frames(v, run.frames) - target_latents[name]) ** 2).mean(1)
              for name, v in scorers.items()}
    return Scored(robot.painter, run.sent, run.positions, run.frames, errors)


def run_cases(ctx: Context, items: list[tuple[str, str, str | None, str]], methods: tuple[str, ...],
              keep_frames: bool = False, progress: Callable[[str], None] | None = None) -> list[Case]:
    """(label, lang, voice, text) items -> performed cases, in order."""
    cases = []
    for label, lang, voice, text in items:
        if progress is not None:
            progress(label)
        cases.append(run_case(ctx, label, from_text(text, lang, voice), methods, keep_frames))
    return cases
