"""`SimFace`: the simulated face as a `Face` backend (the default for every command).

Time is virtual: `advance(seconds)` steps the servo dynamics instead of sleeping, so babbling
runs as fast as the renderer and MediaPipe allow. The camera sees the *measured* positions,
after lag, speed limit and backlash, exactly as a real camera would; its frames are drawn by the
face's `painter` (face/sim/painter.py), which also serves whoever needs pictures without a device.
"""

from __future__ import annotations

import numpy as np

from mirrorface.face.sim.dynamics import ServoDynamics
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.face import Face


class SimFace(Face):
    def __init__(self, spec: FaceSpec, *, seed: int = 0):
        super().__init__(spec)
        self.seed = seed
        self.painter = Painter(spec, seed=seed)
        self.dynamics = ServoDynamics(spec.neutral, spec.speed, spec.sim.lag_s, spec.sim.backlash)
        self._clock = 0.0

    def _connect(self) -> None:
        self._clock = 0.0

    def _disconnect(self) -> None:
        pass

    def _write(self, command: np.ndarray) -> None:
        self.dynamics.target = command.copy()

    def read_positions(self) -> np.ndarray:
        return self.dynamics.output.copy()

    def _advance(self, seconds: float) -> None:
        self.dynamics.advance(seconds)
        self._clock += seconds

    @property
    def clock(self) -> float:
        return self._clock

    def read_frame(self) -> np.ndarray:
        return self.painter.render_pose(self.read_positions())
