"""Human landmarks to robot landmarks: eqs. 1-2 of the coexpression paper.

A person's face moves further (or less far) than the robot's, and every person rests in a
different shape. The inverse model only knows the robot, so each human landmark coordinate is
re-expressed as the robot's resting landmark plus the human's displacement from their own rest,
scaled by K and kept inside the range the robot reached while babbling:

    L_R = R_s + clip(K * (L_H - H_s), R_min - R_s, R_max - R_s)

H_s is the human's resting face (the mean of a video's first 5 frames), R_s the robot's, and
R_min / R_max the per-coordinate range of the robot's landmarks in its self-model dataset.
The paper prints eq. 1 as `Min(R_max - R_s, L_H - H_s) * K + R_s` and eq. 2 with the same Min
where a Max against R_min - R_s is meant; we scale before clipping, so that the result stays
inside the robot's range for any K. Both orders agree for K = 1, and wherever nothing is clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirrorface.errors import MirrorfaceError

# K for synthetic people on emo26: `fit_scale` of the target faces of 30 of the predictive model's
# training people against the shipped inverse model's landmark range gives 1.37 (people posing
# the basic expressions to their apex; 1.61 when their intensity was uniform in 0.45-1);
# `mirrorface eval coexpression` recomputes it on every run.
DEFAULT_K = 1.4


@dataclass(frozen=True)
class RobotRange:
    """The robot's resting landmarks and the range its landmarks cover, each (113, 2)."""

    rest: np.ndarray  # R_s
    low: np.ndarray  # R_min
    high: np.ndarray  # R_max

    def __post_init__(self) -> None:
        if not (self.rest.shape == self.low.shape == self.high.shape):
            raise MirrorfaceError(f"robot rest and range shapes differ: {self.rest.shape}, {self.low.shape}, "
                                  f"{self.high.shape}")
        if np.any(self.low > self.rest + 1e-9) or np.any(self.high < self.rest - 1e-9):
            raise MirrorfaceError("the robot's resting landmarks must lie inside its landmark range")


def robot_range(landmarks: np.ndarray, rest: np.ndarray) -> RobotRange:
    """R_min and R_max over a self-model dataset's landmarks (N, 113, 2); the rest is included."""
    stacked = np.concatenate([landmarks, rest[None]], axis=0)
    return RobotRange(rest.astype(np.float32), stacked.min(0).astype(np.float32), stacked.max(0).astype(np.float32))


def resting_face(landmarks: np.ndarray, frames: int = 5) -> np.ndarray:
    """H_s: the mean of the first `frames` frames of a (T, 113, 2) sequence."""
    if len(landmarks) < 1:
        raise MirrorfaceError("a resting face needs at least one frame")
    return landmarks[:frames].mean(0)


def to_robot(human: np.ndarray, human_rest: np.ndarray, robot: RobotRange, k: float = 1.0) -> np.ndarray:
    """Eqs. 1-2: human landmarks (..., 113, 2) in robot space, same shape."""
    delta = k * (np.asarray(human, np.float32) - human_rest)
    return robot.rest + np.clip(delta, robot.low - robot.rest, robot.high - robot.rest)


def fit_scale(human_deltas: np.ndarray, robot: RobotRange, quantile: float = 0.95) -> float:
    """A K that makes large human displacements as large as the robot's range.

    The ratio of the robot's and the humans' displacement sizes, each taken as the `quantile` of
    the per-coordinate absolute displacement from rest (humans: (N, 113, 2) apex minus rest,
    robot: its range around R_s), summed over coordinates so that no single landmark decides.
    """
    robot_span = np.maximum(robot.high - robot.rest, robot.rest - robot.low)
    human_span = np.quantile(np.abs(human_deltas), quantile, axis=0)
    if human_span.sum() <= 0:
        raise MirrorfaceError("the human faces never move: cannot fit the scale K")
    return float(robot_span.sum() / human_span.sum())
