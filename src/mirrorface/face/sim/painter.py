"""The simulator's painter: pictures of the simulated face, with no actuators and no time.

`SimFace` (hardware/sim.py) is the simulated *device*: commands go in through the safety layer,
servos lag, the camera sees the measured positions. The painter is the other role the simulator
plays: it draws the face held still at any pose (`render_pose`), tells the mouth the skin forms
there (`mouth_of`, the lip-sync evaluation's ground truth), and paints a given mouth onto the
face (`render_mouth`: speech targets, the stand-in for the paper's Wav2Lip frames). targets/,
lipsync/ and eval/ draw through a painter, never through the device. A `SimFace` owns one and
draws its camera frames with it, so one seed gives one stream of camera noise either way.
"""

from __future__ import annotations

import copy

import numpy as np

from mirrorface.face.sim.render import Renderer
from mirrorface.face.sim.skin import DRIVES, FaceSurface, MouthShape, face_surface, mouth_shape, set_mouth
from mirrorface.face.spec import FaceSpec

Window = tuple[int, int, int, int]  # x, y, width, height in pixels


class Painter:
    """Frames of the simulated face `spec`; `seed` seeds the camera noise and light jitter."""

    def __init__(self, spec: FaceSpec, *, seed: int = 0):
        self.spec = spec
        self.seed = seed
        self._drives = [a.sim_drive for a in spec.ordered]
        self.renderer = Renderer(
            spec.camera.width, spec.camera.height, skin=spec.sim.skin_tone,
            pixel_noise=spec.sim.pixel_noise, light_jitter=spec.sim.light_jitter, seed=seed,
        )
        self._rest_surface: FaceSurface | None = None

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
                     frame_seed: int | None = None, window: Window | None = None) -> np.ndarray:
        """The face at `positions` (neutral by default) showing `mouth`.

        `frame_seed`, `window`: see `Renderer.draw`.
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
