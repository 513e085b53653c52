"""A simulated camera for an emulated robot: it films the simulator's face at the positions the
servo bus measures, so `babble`, `say` and `coexpress` run end to end before the robot exists.

Select it with `[camera] device = "sim"` in a face spec whose `[bus]` names a real protocol
(normally while `mirrorface emulate` answers on the port).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec


class SimCamera:
    """Frames of the simulated face held at `measure()`: the emulated servos' present positions.

    Args:
        spec: the face (camera size, skin, noise).
        measure: returns the measured positions, normalized (the bus's `read_positions`).
        seed: seeds the camera noise.
    """

    def __init__(self, spec: FaceSpec, measure: Callable[[], np.ndarray], seed: int = 0):
        self._painter = Painter(spec, seed=seed)
        self._measure = measure

    def start(self) -> None:
        pass

    def read(self) -> tuple[np.ndarray, float]:
        """The current frame, (H, W, 3) uint8 RGB, and its `time.monotonic()` time (as `OpenCVCamera.read`)."""
        return self._painter.render_pose(self._measure()), time.monotonic()

    def stop(self) -> None:
        pass
