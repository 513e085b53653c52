"""Synthesized speaking frames: the robot's own face showing the target mouth, frame by frame.

For the simulated face the mouth is painted by the renderer (`SimFace.render_mouth`) onto the
neutral face, on the face camera's frame clock; this is the Wav2Lip step of the lip-sync paper.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.hardware.sim import SimFace
from mirrorface.targets.mouth import mouth_from_articulation


def speaking_frames(face: SimFace, track: Track) -> Iterator[np.ndarray]:
    """One RGB frame per track frame: the face at rest, its mouth shaped by the track."""
    for values in track.values:
        yield face.render_mouth(mouth_from_articulation(values))
