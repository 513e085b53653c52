"""The coexpression paper's 113 face landmarks, and head-pose normalisation.

The paper keeps 113 of MediaPipe's 468 face-mesh landmarks: 52 on the upper face and 61 on the
lower face. It does not list them; ours are MediaPipe's own contours plus the points where the
expression muscles show around the mouth, so that every row has a name:

- UPPER (rows 0-51): both eyebrows (MediaPipe's eyebrow contours, 2 x 10: upper edge from the
  outer end inwards, then the lower edge) and both eyes (its eye contours, 2 x 16: from the
  outer corner over the upper lid to the inner corner, back along the lower lid). Brows and
  lids carry surprise, fear, anger and sadness; the forehead adds nothing they do not.
- LOWER (rows 52-112): the outer and inner lip contours (2 x 20, from the face's right corner
  over the upper lip and back along the lower lip) and 21 points around the mouth: the nose
  wings (wrinkled in disgust), the cheeks (raised in a smile), the nasolabial folds, beside and
  below the mouth corners (pulled up in a smile, down in sadness), the jaw and the chin (dropped
  in surprise), and on the midline the philtrum, the mentolabial fold and the chin tip.
"Right" is the person's right, which is the image's left.

Head pose is removed before the subset is taken: `normalize_head` fits a similarity transform
(rotation, scale, translation; Umeyama's least squares) from 25 landmarks that expressions
barely move (forehead, nose bridge, the face outline at eye level) to the same landmarks of a
reference face, and applies it to all 468. The reference (`face_template.json`) is MediaPipe's
reading of the simulated robot's neutral face in a square frame, so the canonical frame looks
like MediaPipe output of an upright, frontal face centred in a square image: x right and y down
in [0, 1], about 0.48 wide from ear to ear, z MediaPipe's relative depth. Robot and human faces,
a tilted head, a 640 x 480 webcam and a 256 x 256 render all land in this one frame.

MediaPipe normalises x by the image width and y by its height, so for non-square frames pass
`aspect=width / height`: the fit needs coordinates in one unit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np

RIGHT_BROW = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
LEFT_BROW = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
RIGHT_EYE = (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7)
LEFT_EYE = (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249)
LIPS_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146)
LIPS_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)
AROUND_MOUTH = (
    98, 327,  # nose wings
    50, 280,  # upper cheeks
    205, 425,  # cheeks
    206, 426,  # nasolabial folds
    214, 434,  # cheeks level with the mouth
    57, 287,  # just outside the mouth corners
    202, 422,  # below the mouth corners
    136, 365,  # jaw
    176, 400,  # chin, either side
    164, 18, 152,  # midline: philtrum, mentolabial fold, chin tip
)

UPPER: tuple[int, ...] = RIGHT_BROW + LEFT_BROW + RIGHT_EYE + LEFT_EYE  # 52
LOWER: tuple[int, ...] = LIPS_OUTER + LIPS_INNER + AROUND_MOUTH  # 61
SUBSET: tuple[int, ...] = UPPER + LOWER  # 113: rows 0..51 upper face, 52..112 lower face
N_UPPER, N_LOWER = len(UPPER), len(LOWER)

# Landmarks that expressions barely move: the pose is fitted on these alone.
RIGID = (
    10, 151, 109, 338, 67, 297, 103, 332,  # upper forehead (the lower forehead rises with the brows)
    168, 6, 197, 195, 5,  # nose bridge
    127, 356, 162, 389, 21, 251, 54, 284, 234, 454, 93, 323,  # outline from the temples to the ears
)

TEMPLATE_FILE = Path(__file__).with_name("face_template.json")


@cache
def template() -> np.ndarray:
    """The reference face that defines the canonical frame: (468, 3) float64, read-only."""
    points = np.array(json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["landmarks"], dtype=np.float64)
    points.setflags(write=False)
    return points


def _similarity(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares s, R, t with s R source + t ~ target (Umeyama 1991), over leading dims.

    source: (..., n, 3), target: (n, 3) -> scale (...,), rotation (..., 3, 3), translation (..., 3).
    """
    mu_s, mu_t = source.mean(-2), target.mean(-2)
    a, b = source - mu_s[..., None, :], target - mu_t
    cov = b.T @ a / a.shape[-2]  # (..., 3, 3): target x source
    u, sigma, vt = np.linalg.svd(cov)
    d = np.ones(sigma.shape)
    d[..., 2] = np.sign(np.linalg.det(u) * np.linalg.det(vt))  # a rotation, never a reflection
    rotation = u @ (d[..., :, None] * vt)
    scale = (sigma * d).sum(-1) / (a**2).sum((-2, -1)) * a.shape[-2]
    translation = mu_t - scale[..., None] * (rotation @ mu_s[..., None])[..., 0]
    return scale, rotation, translation


def align(points: np.ndarray, rigid: np.ndarray, *, aspect: float = 1.0) -> np.ndarray:
    """Move any landmarks (..., k, 3) by the head pose that brings `rigid` to the reference face.

    Args:
        points: landmarks to move, in MediaPipe's normalised frame coordinates.
        rigid: the same frames' RIGID landmarks, (..., len(RIGID), 3), in the same coordinates.
        aspect: the frame's width / height, so that x and y share one unit.

    Returns:
        float32 points in the canonical frame.
    """
    stretch = np.array([aspect, 1.0, aspect])  # MediaPipe's z follows x's scale
    points, rigid = np.asarray(points, np.float64) * stretch, np.asarray(rigid, np.float64) * stretch
    scale, rotation, translation = _similarity(rigid, template()[list(RIGID)])
    moved = scale[..., None, None] * (points @ np.swapaxes(rotation, -1, -2)) + translation[..., None, :]
    return moved.astype(np.float32)


def normalize_head(landmarks: np.ndarray, *, aspect: float = 1.0) -> np.ndarray:
    """Remove head pose: (..., 468, 3) MediaPipe landmarks -> the same in the canonical frame.

    Args:
        landmarks: x, y normalised to the frame (MediaPipe's output), z its relative depth.
        aspect: the frame's width / height, so that x and y share one unit.

    Returns:
        float32 landmarks, rotated, scaled and shifted so that the rigid landmarks best match
        the reference face's. Idempotent for aspect 1: a normalised face stays where it is.
    """
    landmarks = np.asarray(landmarks)
    if landmarks.shape[-2:] != (468, 3):
        raise ValueError(f"expected (..., 468, 3) face-mesh landmarks, got {landmarks.shape}")
    return align(landmarks, landmarks[..., RIGID, :], aspect=aspect)


def subset(landmarks: np.ndarray, *, aspect: float = 1.0) -> np.ndarray:
    """The 113 coexpression landmarks, (..., 468, 2|3) -> (..., 113, 2) float32.

    3-D input is MediaPipe output: the head pose is removed first (as `normalize_head` does),
    so the result is in the canonical frame. 2-D input is taken to be in the caller's frame
    already and only selected.
    """
    landmarks = np.asarray(landmarks)
    if landmarks.shape[-2] != 468 or landmarks.shape[-1] not in (2, 3):
        raise ValueError(f"expected (..., 468, 2|3) face-mesh landmarks, got {landmarks.shape}")
    if landmarks.shape[-1] == 2:
        return np.ascontiguousarray(landmarks[..., SUBSET, :], dtype=np.float32)
    moved = align(landmarks[..., SUBSET, :], landmarks[..., RIGID, :], aspect=aspect)
    return np.ascontiguousarray(moved[..., :2])


def landmarks_of_frames(frames: Iterable[np.ndarray], *, video: bool = True) -> np.ndarray:
    """RGB frames through MediaPipe -> (T, 113, 2) canonical landmarks; NaN rows where no face was found.

    Args:
        frames: RGB uint8 images of one size (a video) or of any sizes (with video=False).
        video: track the face from frame to frame (MediaPipe's video mode).
    """
    from mirrorface.perception.landmarks import FaceMeshDetector

    rows = []
    with FaceMeshDetector(video=video) as detect:
        for frame in frames:
            found = detect(frame)
            if found is None:
                rows.append(np.full((len(SUBSET), 2), np.nan, np.float32))
            else:
                rows.append(subset(found, aspect=frame.shape[1] / frame.shape[0]))
    return np.stack(rows) if rows else np.zeros((0, len(SUBSET), 2), np.float32)
