"""Speech targets for a real robot: articulation -> lip contours in pixels -> warped camera frame.

The neutral camera frame of the robot's face plays the rest pose. Each frame's target mouth
(`mouth_from_articulation`) is compared with the target mouth at rest; that change, in mm, is
scaled by the robot's mouth width in pixels and applied to the neutral frame's MediaPipe lip
landmarks, and `MouthWarper` draws the result.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mirrorface.articulation.coarticulation import A, Track
from mirrorface.articulation.phonemes import REST
from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.skin import MouthShape
from mirrorface.targets.mouth import mouth_from_articulation
from mirrorface.targets.warp import MouthWarper, lip_contours

# MediaPipe's contours run from the image-left mouth corner along the lower lip to the right
# corner (11 points), then back along the upper lip (9 points). Our contours run along t in
# [-1, 1] from the image left (the robot's right) to the image right.
_LOWER_T = np.linspace(-1.0, 1.0, 11)
_UPPER_T = np.linspace(1.0, -1.0, 11)[1:-1]


def _sample(contour: np.ndarray, t: np.ndarray) -> np.ndarray:
    grid = np.linspace(-1.0, 1.0, len(contour))
    return np.stack([np.interp(t, grid, contour[:, 0]), np.interp(t, grid, contour[:, 1])], axis=1)


def _mediapipe_order(mouth: MouthShape) -> tuple[np.ndarray, np.ndarray]:
    """(outer (20, 2), inner (20, 2)) in mm, in MediaPipe's contour order."""
    outer = np.vstack([_sample(mouth.lower_outer, _LOWER_T), _sample(mouth.upper_outer, _UPPER_T)])
    inner = np.vstack([_sample(mouth.lower_inner, _LOWER_T), _sample(mouth.upper_inner, _UPPER_T)])
    return outer, inner


class RealFaceTargets:
    """Draws target mouths onto one neutral camera frame of a real face."""

    def __init__(self, neutral_frame: np.ndarray):
        from mirrorface.perception.landmarks import FaceMeshDetector

        with FaceMeshDetector(video=False) as detect:
            landmarks = detect(neutral_frame)
        if landmarks is None:
            raise MirrorfaceError("MediaPipe finds no face in the neutral frame: use a frontal, well-lit "
                                  "picture of the robot at rest")
        height, width = neutral_frame.shape[:2]
        self.warper = MouthWarper(neutral_frame, landmarks)
        self.outer_px, self.inner_px = lip_contours(landmarks, width, height)
        self.rest_outer, self.rest_inner = _mediapipe_order(mouth_from_articulation(np.array(REST.target)))
        mm_width = self.rest_outer[:, 0].max() - self.rest_outer[:, 0].min()
        self.px_per_mm = (self.outer_px[:, 0].max() - self.outer_px[:, 0].min()) / mm_width

    def frame(self, values: np.ndarray) -> np.ndarray:
        """The neutral frame with the mouth of one frame of articulator values."""
        outer, inner = _mediapipe_order(mouth_from_articulation(values))
        return self.warper.render(
            self.outer_px + (outer - self.rest_outer) * self.px_per_mm,
            self.inner_px + (inner - self.rest_inner) * self.px_per_mm,
            upper_teeth=float(values[A["upper_teeth"]]), lower_teeth=float(values[A["lower_teeth"]]),
        )

    def frames(self, track: Track) -> Iterator[np.ndarray]:
        for values in track.values:
            yield self.frame(values)
