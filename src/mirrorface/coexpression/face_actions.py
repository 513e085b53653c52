"""Facial action units on MediaPipe's 468-landmark face mesh: what the synthetic humans move.

Each action is named after the Facial Action Coding System unit it imitates (AU12 pulls the lip
corners up and out, AU26 drops the jaw, ...) and is a displacement field over the mesh at full
intensity: a few `Pull`s, each moving the landmarks near one anchor (or a left/right pair of
anchors) by a vector that fades with distance (Gaussian, `radius`). Where pulls overlap, a
landmark takes their distance-weighted mean, so neighbouring pulls blend instead of adding up.
A pull can be limited to one side of a seam: the upper or the lower lip (the lips touch, yet a
dropping jaw must leave the upper lip where it is), or the upper or the lower eyelid.

Sizes are in eye spans (the distance between the outer eye corners, about 90 mm on an adult):
a full smile moves the mouth corners about 0.06 out and 0.06 up (5-6 mm each way), a full jaw
drop lowers the chin by 0.12 (11 mm). Vectors are (out, down, back): `out` points away from
the face's midline, so one vector describes both sides of a symmetric pull; y runs down and z
away from the camera, as in MediaPipe's output. The magnitudes are our reading of FACS
descriptions and typical facial-movement ranges, not measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirrorface.perception.subset import LEFT_EYE, LIPS_INNER, LIPS_OUTER, RIGHT_EYE


@dataclass(frozen=True)
class Pull:
    """Move the landmarks around `anchors` (one midline landmark or a right/left pair) by `vector`."""

    anchors: tuple[int, ...]
    vector: tuple[float, float, float]  # (out, down, back) in eye spans at full intensity
    radius: float  # eye spans: the Gaussian fall-off of the pull around each anchor
    region: str = "face"  # "face" or one side of a seam: upper_lip, lower_lip, upper_lid, lower_lid


ACTIONS: dict[str, tuple[Pull, ...]] = {
    "AU1": (  # inner brow raiser
        Pull((107, 336), (-0.005, -0.075, 0.0), 0.09), Pull((55, 285), (-0.005, -0.07, 0.0), 0.09),
        Pull((105, 334), (0.0, -0.03, 0.0), 0.09),
    ),
    "AU2": (  # outer brow raiser
        Pull((70, 300), (0.0, -0.07, 0.0), 0.09), Pull((46, 276), (0.0, -0.07, 0.0), 0.09),
        Pull((105, 334), (0.0, -0.04, 0.0), 0.09),
    ),
    "AU4": (  # brow lowerer: brows down and together, upper lids follow a little
        Pull((107, 336), (-0.03, 0.045, 0.0), 0.09), Pull((55, 285), (-0.03, 0.045, 0.0), 0.09),
        Pull((105, 334), (-0.01, 0.025, 0.0), 0.09), Pull((159, 386), (0.0, 0.01, 0.0), 0.09, "upper_lid"),
    ),
    "AU5": (  # upper lid raiser
        Pull((159, 386), (0.0, -0.035, 0.0), 0.09, "upper_lid"),
    ),
    "AU6": (  # cheek raiser: cheeks up and forward, lower lids up, crow's feet
        Pull((205, 425), (0.0, -0.04, -0.01), 0.14), Pull((50, 280), (0.0, -0.035, -0.01), 0.12),
        Pull((145, 374), (0.0, -0.018, 0.0), 0.1, "lower_lid"), Pull((33, 263), (-0.005, -0.008, 0.0), 0.05),
        Pull((70, 300), (0.0, 0.008, 0.0), 0.06), Pull((206, 426), (0.01, -0.02, 0.0), 0.1),
    ),
    "AU7": (  # lid tightener
        Pull((145, 374), (0.0, -0.022, 0.0), 0.1, "lower_lid"), Pull((159, 386), (0.0, 0.01, 0.0), 0.09, "upper_lid"),
    ),
    "AU9": (  # nose wrinkler: nose wings and upper lip up, inner brows down
        Pull((98, 327), (0.0, -0.035, 0.0), 0.07), Pull((0,), (0.0, -0.015, 0.0), 0.08, "upper_lip"),
        Pull((107, 336), (-0.01, 0.02, 0.0), 0.07), Pull((55, 285), (-0.01, 0.02, 0.0), 0.07),
        Pull((205, 425), (0.0, -0.012, 0.0), 0.12),
    ),
    "AU10": (  # upper lip raiser
        Pull((37, 267), (0.0, -0.045, 0.0), 0.08, "upper_lip"), Pull((0,), (0.0, -0.04, 0.0), 0.08, "upper_lip"),
        Pull((98, 327), (0.0, -0.012, 0.0), 0.06), Pull((206, 426), (0.005, -0.02, 0.0), 0.1),
        Pull((164,), (0.0, -0.03, 0.0), 0.05),
    ),
    "AU12": (  # lip corner puller: the smile
        Pull((61, 291), (0.06, -0.06, 0.01), 0.12), Pull((57, 287), (0.05, -0.05, 0.01), 0.12),
        Pull((206, 426), (0.02, -0.03, 0.0), 0.1), Pull((205, 425), (0.0, -0.02, 0.0), 0.14),
        Pull((202, 422), (0.03, -0.03, 0.0), 0.1), Pull((0,), (0.0, -0.008, 0.0), 0.08, "upper_lip"),
    ),
    "AU15": (  # lip corner depressor
        Pull((61, 291), (0.01, 0.04, 0.0), 0.11), Pull((57, 287), (0.01, 0.04, 0.0), 0.11),
        Pull((202, 422), (0.0, 0.03, 0.0), 0.1),
    ),
    "AU17": (  # chin raiser: chin and lower lip pushed up
        Pull((152,), (0.0, -0.03, 0.0), 0.15, "lower_lip"), Pull((18,), (0.0, -0.03, 0.0), 0.08, "lower_lip"),
        Pull((17,), (0.0, -0.02, -0.01), 0.1, "lower_lip"), Pull((176, 400), (0.0, -0.02, 0.0), 0.1, "lower_lip"),
    ),
    "AU20": (  # lip stretcher (fear)
        Pull((61, 291), (0.06, 0.01, 0.0), 0.12), Pull((57, 287), (0.05, 0.01, 0.0), 0.12),
        Pull((202, 422), (0.03, 0.01, 0.0), 0.1), Pull((0,), (0.0, 0.005, 0.0), 0.08, "upper_lip"),
        Pull((17,), (0.0, -0.005, 0.0), 0.08, "lower_lip"),
    ),
    "AU23": (  # lip tightener: lips narrower and thinner
        Pull((61, 291), (-0.025, 0.0, 0.0), 0.1), Pull((0,), (0.0, 0.008, 0.0), 0.1, "upper_lip"),
        Pull((17,), (0.0, -0.008, 0.0), 0.1, "lower_lip"),
    ),
    "AU24": (  # lip presser
        Pull((0,), (0.0, 0.01, 0.0), 0.1, "upper_lip"), Pull((17,), (0.0, -0.012, 0.0), 0.1, "lower_lip"),
        Pull((61, 291), (-0.01, 0.0, 0.0), 0.1),
    ),
    "AU25": (  # lips part
        Pull((17,), (0.0, 0.03, 0.0), 0.12, "lower_lip"), Pull((14,), (0.0, 0.03, 0.0), 0.12, "lower_lip"),
        Pull((13,), (0.0, -0.008, 0.0), 0.1, "upper_lip"),
    ),
    "AU26": (  # jaw drop: chin, lower lip and jaw down, the mouth corners half as far
        Pull((152,), (0.0, 0.12, 0.02), 0.3, "lower_lip"), Pull((18,), (0.0, 0.105, 0.0), 0.1, "lower_lip"),
        Pull((17, 14), (0.0, 0.1, 0.0), 0.1, "lower_lip"), Pull((176, 400), (0.0, 0.1, 0.0), 0.12, "lower_lip"),
        Pull((136, 365), (0.0, 0.045, 0.0), 0.15, "lower_lip"), Pull((61, 291), (-0.01, 0.045, 0.0), 0.06),
    ),
    "AU43": (  # eyes closed; the pull is rescaled to each face's own eye opening
        Pull((159, 386), (0.0, 1.0, 0.0), 0.09, "upper_lid"),
    ),
}
NAMES = tuple(ACTIONS)

_UPPER_LIP = LIPS_OUTER[1:10] + LIPS_INNER[1:10]
_LOWER_LIP = LIPS_OUTER[11:] + LIPS_INNER[11:]
_LIP_CORNERS = (61, 291, 78, 308)
_UPPER_LIDS = RIGHT_EYE[1:8] + LEFT_EYE[1:8]
_LOWER_LIDS = RIGHT_EYE[9:] + LEFT_EYE[9:]
_EYE_CORNERS = (33, 133, 263, 362)


def eye_span(face: np.ndarray) -> float:
    """Distance between the outer eye corners of a (468, 3) face."""
    return float(np.linalg.norm(face[263, :2] - face[33, :2]))


def _below(face: np.ndarray, y: np.ndarray | float, softness: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(face[:, 1] - y) / softness))


def region_masks(face: np.ndarray) -> dict[str, np.ndarray]:
    """(468,) weights in [0, 1] of each seam side: the lip and lid contours by name, the rest by height."""
    soft = 0.03 * eye_span(face)
    mouth_line = face[[13, 14], 1].mean()
    below_mouth = _below(face, mouth_line, soft)
    eye_line = np.where(face[:, 0] < face[1, 0], face[[33, 133], 1].mean(), face[[263, 362], 1].mean())
    below_eye = _below(face, eye_line, soft)
    masks = {"face": np.ones(len(face)), "lower_lip": below_mouth, "upper_lip": 1 - below_mouth,
             "lower_lid": below_eye, "upper_lid": 1 - below_eye}
    for upper, lower, seam, corner in (("upper_lip", "lower_lip", (_UPPER_LIP, _LOWER_LIP), (_LIP_CORNERS, 0.5)),
                                       ("upper_lid", "lower_lid", (_UPPER_LIDS, _LOWER_LIDS), (_EYE_CORNERS, 0.0))):
        above_seam, below_seam = map(list, seam)
        corners, share = corner
        masks[upper][above_seam], masks[upper][below_seam], masks[upper][list(corners)] = 1.0, 0.0, share
        masks[lower][above_seam], masks[lower][below_seam], masks[lower][list(corners)] = 0.0, 1.0, share
    return masks


def action_field(face: np.ndarray, pulls: tuple[Pull, ...], masks: dict[str, np.ndarray]) -> np.ndarray:
    """The (468, 3) displacement of one action at full intensity on this face."""
    span = eye_span(face)
    midline = face[1, 0]  # the nose tip
    field = np.zeros_like(face)
    for region in {p.region for p in pulls}:
        weights, vectors = [], []
        for pull in (p for p in pulls if p.region == region):
            out, down, back = pull.vector
            for anchor in pull.anchors:
                side = 0.0 if len(pull.anchors) == 1 else np.sign(face[anchor, 0] - midline)
                distance2 = ((face - face[anchor]) ** 2).sum(-1) / (pull.radius * span) ** 2
                weights.append(np.exp(-0.5 * distance2))
                vectors.append(np.array([side * out, down, back]) * span)
        w = np.array(weights)  # (anchors, 468)
        blended = (w[:, :, None] * np.array(vectors)[:, None, :]).sum(0) / np.maximum(w.sum(0), 1e-12)[:, None]
        field += blended * (w.max(0) * masks[region])[:, None]
    return field


def action_basis(face: np.ndarray) -> np.ndarray:
    """Every action's field on this face: (len(NAMES), 468, 3), in the face's own units.

    AU43 (eye closure) is scaled so that at full intensity the upper lids meet the lower ones.
    """
    masks = region_masks(face)
    basis = np.stack([action_field(face, ACTIONS[name], masks) for name in NAMES])
    opening = face[[145, 374], 1].mean() - face[[159, 386], 1].mean()
    basis[NAMES.index("AU43")] *= opening / eye_span(face)
    return basis
