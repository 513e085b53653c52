"""Online peak activation: when a person's expression starts to form, as it happens.

The offline detector (`peak.find_peak`) sees a whole video: the peak activation is the frame
where the (smoothed) distance from the resting face accelerates most. A live loop sees one frame
at a time and cannot wait for the largest acceleration to be known, so the tracker keeps
- the resting face, the mean of the first 5 frames after a (re)start;
- the distance of each frame from it (`peak.activation_distance`, as offline: eyes left out,
  rigid motion removed);
- a Savitzky-Golay fit of the distance over the last `window` frames (about 0.3 s, as offline),
  read at its newest frame (an end-point fit: a centred one would answer half a window late);
and declares the peak activation when the smoothed distance first leaves the resting noise
(`onset`). Over the synthetic population that is where the offline detector puts it (a median
of 0.03 s later), so the predictive model gets the 4 frames it was trained on: those ending at
the peak activation. The expression is over once the smoothed distance falls back below
`release` x `onset`; the tracker then re-arms for the next one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_coeffs

from mirrorface.coexpression.peak import INPUT_FRAMES, POLYORDER, REST_FRAMES, activation_distance, smoothing_window


@dataclass(frozen=True)
class TrackerConfig:
    onset: float = 0.03  # smoothed `activation_distance` from rest (canonical units): twice the resting jitter
    release: float = 0.75  # the expression is over below this fraction of `onset`


@dataclass(frozen=True)
class Activation:
    """A detected peak activation: when, the resting face, and the frames for the predictive model."""

    time: float  # s
    rest: np.ndarray  # (113, 2)
    frames: np.ndarray  # (4, 113, 2), oldest first, the last at `time`


class ExpressionTracker:
    """Feed it (time, landmarks) one frame at a time; it says when an expression's peak activation occurs.

    `rate_hz` is how many frames a second it is fed: it sets the smoothing window.
    """

    def __init__(self, config: TrackerConfig | None = None, rate_hz: float = 25.0):
        self.config = config or TrackerConfig()
        self.window = smoothing_window(rate_hz)
        self._smooth = savgol_coeffs(self.window, POLYORDER, pos=self.window - 1, use="dot")
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next frames are a new resting face."""
        self.rest: np.ndarray | None = None
        self._rest_frames: list[np.ndarray] = []
        self._frames: deque[np.ndarray] = deque(maxlen=max(self.window, INPUT_FRAMES))
        self._distances: deque[float] = deque(maxlen=self.window)
        self.state = "rest"  # rest (learning the resting face) -> armed -> active -> armed ...
        self.distance = 0.0  # the latest smoothed distance
        self.peak_distance = 0.0  # the largest smoothed distance of the active expression

    def update(self, time: float, landmarks: np.ndarray) -> Activation | None:
        """One frame; returns an Activation at the frame where the peak activation is declared."""
        if self.rest is None:
            self._rest_frames.append(landmarks)
            if len(self._rest_frames) == REST_FRAMES:
                self.rest, self.state = np.mean(self._rest_frames, axis=0), "armed"
            return None
        self._frames.append(landmarks)
        self._distances.append(float(activation_distance(landmarks, self.rest)))
        if len(self._distances) < self.window:
            return None
        self.distance = float(self._smooth @ np.array(self._distances))
        if self.state == "armed" and self.distance > self.config.onset:
            self.state, self.peak_distance = "active", self.distance
            return Activation(time, self.rest, np.stack(list(self._frames)[-INPUT_FRAMES:]))
        if self.state == "active":
            self.peak_distance = max(self.peak_distance, self.distance)
            if self.distance < self.config.release * self.config.onset:
                self.state = "armed"
        return None

    @property
    def relaxing(self) -> bool:
        """The active expression has passed its largest distance and begun to relax."""
        return self.state == "active" and self.distance < 0.9 * self.peak_distance
