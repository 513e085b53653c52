"""Steadier faces for the robot to show: a One Euro filter on the person's landmarks.

The camera's landmarks jitter (MediaPipe's, and the generators' imitation of it) by about as much,
carried through the inverse model, as the smile-timing criterion tolerates (issue 17): a robot that
shows each frame as it comes shows the jitter too. The One Euro filter (Casiez, Roussel and Vogel,
CHI 2012; the usual choice for face and hand tracking) is a first-order low-pass filter whose cutoff
rises with the signal's speed: a face held still is smoothed strongly, a face that moves fast passes
with little lag. Here each coordinate is filtered on its own, as MediaPipe's landmark smoothing does.

`ahead` moves the newest smoothed face on at its recent velocity, for a loop that must make up for
its camera's and servos' delay.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from mirrorface.errors import MirrorfaceError


@dataclass(frozen=True)
class SmootherConfig:
    """The filter's settings. min_cutoff and d_cutoff are the One Euro paper's defaults; beta was chosen on the
    training generator's validation people (docs/coexpression.md, "The loop")."""

    min_cutoff: float = 1.0  # Hz: the cutoff for a face held still
    beta: float = 300.0  # Hz per (canonical unit / s): how fast the cutoff rises with a coordinate's speed
    d_cutoff: float = 1.0  # Hz: the cutoff of the speed estimate itself (jitter makes raw speeds useless)

    def __post_init__(self) -> None:
        if not (self.min_cutoff > 0 and self.d_cutoff > 0):
            raise MirrorfaceError(f"the smoother's cutoffs must be positive (Hz), got min_cutoff {self.min_cutoff}, "
                                  f"d_cutoff {self.d_cutoff}")
        if not self.beta >= 0:
            raise MirrorfaceError(f"the smoother's beta must be 0 or more, got {self.beta}")


def _alpha(cutoff: np.ndarray | float, rate_hz: float) -> np.ndarray | float:
    """The weight of a new sample in an exponential filter with this cutoff (Hz), sampled at `rate_hz`."""
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau * rate_hz)


class FaceSmoother:
    """Feed it a face (any array shape) once a camera frame; it returns the smoothed face. `rate_hz`: frames a
    second."""

    def __init__(self, config: SmootherConfig, rate_hz: float):
        self.config, self.rate_hz = config, rate_hz
        self.reset()

    def reset(self) -> None:
        """Forget the face: the next one passes as it is (a new person or recording)."""
        self._speed: np.ndarray | None = None
        self._faces: deque[np.ndarray] = deque(maxlen=3)

    def __call__(self, face: np.ndarray) -> np.ndarray:
        face = np.asarray(face, np.float64)
        if not self._faces:
            self._speed = np.zeros_like(face)
            self._faces.append(face)
            return face
        last = self._faces[-1]
        self._speed += _alpha(self.config.d_cutoff, self.rate_hz) * ((face - last) * self.rate_hz - self._speed)
        cutoff = self.config.min_cutoff + self.config.beta * np.abs(self._speed)
        self._faces.append(last + _alpha(cutoff, self.rate_hz) * (face - last))
        return self._faces[-1]

    def ahead(self, frames: float) -> np.ndarray:
        """The newest smoothed face moved on by `frames` frames at its velocity over the last two frames (half the
        jitter of a one-frame difference); the newest face itself until there are three."""
        newest = self._faces[-1]
        if len(self._faces) < 3:
            return newest
        return newest + frames * (newest - self._faces[0]) / 2
