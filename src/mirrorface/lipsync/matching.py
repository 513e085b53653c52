"""Latent matching (eqs. 4-5 of the lip-sync paper): speech-relevant commands from synthesized frames.

Each synthesized frame's latent is matched to the nearest latent of the robot's own frames
(Euclidean), and that frame's command is taken. The matched trajectories, with Gaussian noise,
are then performed on the face and watched: their frames join the pool, so the next iteration
matches against poses that are already speech-like. After a few iterations (the paper uses
four) the pool holds speech-relevant commands paired with what they really look like, which is
the data the FAT needs most.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from mirrorface.face.safety import SafetyLayer
from mirrorface.hardware.face import Face
from mirrorface.lipsync.execute import execute
from mirrorface.lipsync.speak import lead


@dataclass
class Sequence:
    """Commands performed at the camera's rate and the latents of the frames they produced."""

    commands: np.ndarray  # (T, n)
    latents: np.ndarray  # (T, latent)
    closing: np.ndarray | None = None  # (T,) bool: command t aims at a target frame with the lips shut
    # (a bilabial of the synthesized speech); None where no target is known (babbling)

    def closing_mask(self) -> np.ndarray:
        """(T,) bool, all False when no target is known."""
        return np.zeros(len(self.commands), bool) if self.closing is None else self.closing


def nearest_commands(query: np.ndarray, latents: np.ndarray, commands: np.ndarray) -> np.ndarray:
    """(F, latent) queries -> (F, n) the commands of the nearest pool latents (eq. 5)."""
    _, index = cKDTree(latents).query(query)
    return commands[index]


def match_iterations(face: Face, targets: list[np.ndarray], pool: Sequence, encode: Callable[[np.ndarray], np.ndarray],
                     iterations: int = 4, noise: float = 0.04, seed: int = 0,
                     progress: Callable[[int, int], None] | None = None,
                     closing: list[np.ndarray] | None = None) -> tuple[list[Sequence], list[float]]:
    """Refine speech-relevant commands by matching, performing and re-matching.

    Args:
        targets: per utterance, (F, latent) latents of its synthesized frames.
        pool: the babbling frames' commands and latents to match against at first.
        encode: (F, H, W, 3) frames -> (F, latent) latents.
        noise: SD of the Gaussian noise on the matched commands (normalised units).
        closing: per utterance, (F,) bool: target frames with the lips shut; carried into the
            performed sequences (`Sequence.closing`) for the FAT's closure loss.

    Returns:
        (the performed sequences of every iteration, each iteration's latent MSE between the
        targets and the frames the face showed at the same instants).
    """
    fps = face.spec.camera.fps
    safety = SafetyLayer(face.spec)
    rng = np.random.default_rng(seed)
    commands, latents = pool.commands, pool.latents
    performed, errors = [], []
    for i in range(iterations):
        squared = []
        for u, target in enumerate(targets):
            matched = lead(nearest_commands(target, latents, commands))
            noisy = matched + rng.normal(0.0, noise, matched.shape)
            noisy = np.stack([safety.project(c) for c in noisy])
            run = execute(face, noisy, fps)
            seen = encode(run.frames)  # frame k at k / fps: compare with target frame k
            squared.append(((seen - target) ** 2).mean(1))
            # command k and the frame one period after it: the pairing the FAT learns
            shut = None if closing is None else closing[u][1:]  # command k aims at target frame k + 1
            performed.append(Sequence(run.sent[:-1].astype(np.float32), seen[1:], shut))
        errors.append(float(np.concatenate(squared).mean()))
        commands = np.concatenate([commands, *(s.commands for s in performed[-len(targets):])])
        latents = np.concatenate([latents, *(s.latents for s in performed[-len(targets):])])
        if progress is not None:
            progress(i + 1, iterations)
    return performed, errors
