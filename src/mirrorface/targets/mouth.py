"""Articulator values -> a mouth shape in the head frame (the speech target's lips).

This is the articulatory stand-in for the paper's Wav2Lip frames: an idealised human mouth
drawn from jaw opening, lip opening, rounding, protrusion, spreading, closure, lip-teeth contact
and teeth exposure. It is deliberately independent of the robot's skin model: the robot has to
learn how close it can get to these shapes, as it had to with Wav2Lip's.
"""

from __future__ import annotations

import numpy as np

from mirrorface.articulation.coarticulation import A
from mirrorface.face.sim.skin import MOUTH_HALF_WIDTH, MOUTH_Y, N_LIP, UPPER_TEETH_EDGE, MouthShape

MAX_GAP_MM = 26.0  # lip opening of a wide-open "ah"


def mouth_from_articulation(v: np.ndarray) -> MouthShape:
    """One frame of articulator values (len(ARTICULATORS),) -> MouthShape."""
    jaw, lip_open, rnd, protrude, spread = (
        v[A[k]] for k in ("jaw", "lip_open", "round", "protrude", "spread"))
    bilabial, labiodental = v[A["bilabial"]], v[A["labiodental"]]
    upper_teeth, lower_teeth = v[A["upper_teeth"]], v[A["lower_teeth"]]
    t = np.linspace(-1.0, 1.0, N_LIP)

    half = MOUTH_HALF_WIDTH * (1.0 + 0.28 * spread - 0.32 * rnd - 0.1 * protrude)
    x = half * t
    corner_y = MOUTH_Y + 3.0 * jaw - 1.5 * spread
    # Rounded mouths open in an oval, spread ones in a slit that runs to the corners.
    shape = (1.0 - t**2) ** (0.45 + 0.5 * rnd - 0.2 * spread)
    gap = MAX_GAP_MM * lip_open * (0.35 + 0.65 * min(1.0, jaw / 0.6)) * (1.0 - bilabial)
    upper_lift = 0.32 * gap + 3.0 * upper_teeth + 1.5 * labiodental
    lower_drop = 0.68 * gap + 3.5 * lower_teeth * (1.0 - labiodental)
    upper_inner = corner_y - shape * upper_lift
    lower_inner = corner_y + shape * lower_drop
    if labiodental > 0:  # the lower lip rises to the edge of the upper teeth
        bite = np.minimum(lower_inner, UPPER_TEETH_EDGE - 1.0 + 3.0 * (1 - shape))
        lower_inner = (1 - labiodental) * lower_inner + labiodental * bite
    lower_inner = np.maximum(lower_inner, upper_inner)  # never crossed

    press = 1.0 - 0.3 * bilabial  # pressed lips roll in and thin out
    bulk = 1.0 + 0.5 * protrude - 0.3 * spread
    profile = (1.0 - t**2) ** 0.5
    upper_outer = upper_inner - (7.0 * bulk * press) * profile - 1.2 * profile
    lower_outer = lower_inner + (8.5 * bulk * press * (1 - 0.4 * labiodental)) * profile

    def pts(y):
        return np.stack([x, y], axis=1)

    return MouthShape(
        upper_outer=pts(upper_outer), upper_inner=pts(upper_inner), lower_inner=pts(lower_inner),
        lower_outer=pts(lower_outer), jaw=float(np.clip(jaw, 0, 1)) * 0.8,
        lower_lip_depth=float(6.0 * protrude - 5.0 * labiodental),
    )
