"""`SimFace`: the simulated face as a `Face` backend (the default for every command).

Time is virtual: `advance(seconds)` steps the servo dynamics instead of sleeping, so babbling
runs as fast as the renderer and MediaPipe allow. The camera sees the *measured* positions,
after lag, speed limit and backlash, exactly as a real camera would.
"""

from __future__ import annotations

import copy

import numpy as np

from mirrorface.face.sim.dynamics import ServoDynamics
from mirrorface.face.sim.render import Renderer
from mirrorface.face.sim.skin import (
    DRIVES,
    FaceSurface,
    MouthShape,
    face_surface,
    mouth_shape,
    set_mouth,
)
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.face import Face


class SimFace(Face):
    def __init__(self, spec: FaceSpec, *, seed: int = 0):
        super().__init__(spec)
        self.seed = seed
        self._drives = [a.sim_drive for a in spec.ordered]
        self.renderer = Renderer(
            spec.camera.width, spec.camera.height, skin=spec.sim.skin_tone,
            pixel_noise=spec.sim.pixel_noise, light_jitter=spec.sim.light_jitter, seed=seed,
        )
        self.dynamics = ServoDynamics(spec.neutral, spec.speed, spec.sim.lag_s, spec.sim.backlash)
        self._clock = 0.0
        self._rest_surface: FaceSurface | None = None

    def _connect(self) -> None:
        self._clock = 0.0

    def _disconnect(self) -> None:
        pass

    def _write(self, command: np.ndarray) -> None:
        self.dynamics.target = command.copy()

    def read_positions(self) -> np.ndarray:
        return self.dynamics.output.copy()

    def advance(self, seconds: float) -> None:
        self.dynamics.advance(seconds)
        self._clock += seconds

    @property
    def clock(self) -> float:
        return self._clock

    def read_frame(self) -> np.ndarray:
        return self.renderer.draw(self.surface(self.read_positions()))

    # -- the simulator's own views (no actuators, no time) --------------------------------------

    def drives(self, positions: np.ndarray) -> dict[str, float]:
        return dict(zip(self._drives, map(float, positions), strict=True))

    def surface(self, positions: np.ndarray) -> FaceSurface:
        return face_surface(self.drives(positions))

    def render_pose(self, positions: np.ndarray) -> np.ndarray:
        """A frame of the face held still at `positions` (no servo dynamics)."""
        return self.renderer.draw(self.surface(positions))

    def mouth_of(self, positions: np.ndarray) -> MouthShape:
        """The mouth the skin forms at `positions`."""
        return mouth_shape({**DRIVES, **self.drives(positions)})

    def render_mouth(self, mouth: MouthShape, positions: np.ndarray | None = None,
                     frame_seed: int | None = None, window: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """The mouth-painting path: the face at `positions` (neutral by default) showing `mouth`.

        No actuator is involved: this is how speech targets (the paper's Wav2Lip frames) are
        drawn on the robot's own face. `frame_seed`, `window`: see `Renderer.draw`.
        """
        if positions is None:  # the common case (speech targets): the face at rest, computed once
            if self._rest_surface is None:
                self._rest_surface = self.surface(self.spec.neutral)
            surface = copy.copy(self._rest_surface)
            surface.points = dict(surface.points)
        else:
            surface = self.surface(positions)
        set_mouth(surface, mouth)
        return self.renderer.draw(surface, frame_seed, window)
