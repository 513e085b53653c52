"""Peak activation: where an expression starts to take off, and the training pairs around it.

From the paper (Methods, Fig. 8): the resting face is the mean of a video's first 5 frames; the
distance of every frame from it is smoothed with a Savitzky-Golay filter; the frame farthest
from rest is the target face, and the frame where the distance accelerates most (the filter's
second derivative) is the peak activation. We look for the peak activation only up to the
target: after it the face relaxes, and the end of a relaxation accelerates too.

The distance (`activation_distance`, issue 17) ignores what is not an expression: the eye
contours are left out (a blink, up to a full closure, must not set off a mouth expression), and
each frame's brows and mouth are first brought onto the resting face's by a 2-D similarity fit
(Procrustes), so head rotation, translation and scale that `perception.subset` left over (a 6
degree turn leaves some) do not count. The paper takes the Euclidean distance over all 113 x 2
coordinates. Chosen on the training generator's people (`synthetic.calm_clips` and
`synthetic.generate(12, 7, seed=500)`), not on the evaluation sources.

Training pairs (Methods, "Predictive model training"): the input is 4 of the 9 frames around
the peak activation (4 before, 4 after), in time order; the label is one of the target frame
and the 3 after it; the model also gets the resting face. At run time (and in evaluation) the
model sees the 4 frames ending at the peak activation (`model_input`), nothing later. For
generated people, whose noise-free face is known (`ExpressionVideo.clean`), the label is the face
they made from the generator's apex on, as its displacement from their noise-free rest added to
the camera's resting face (issue 17): the robot is shown a face's displacement from that rest,
and the camera's apex frame carries its jitter and this video's misreading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from mirrorface.coexpression.synthetic import ExpressionVideo
from mirrorface.errors import MirrorfaceError
from mirrorface.perception.subset import LEFT_EYE, RIGHT_BROW, RIGHT_EYE

REST_FRAMES = 5
AROUND = 4  # frames either side of the peak activation that inputs are drawn from
INPUT_FRAMES = 4
LABEL_FRAMES = 4  # the target and the 3 frames after it
SMOOTH_S = 0.3  # Savitzky-Golay window in seconds (9 frames at 30 fps)
POLYORDER = 3
_EYES = range(2 * len(RIGHT_BROW), 2 * len(RIGHT_BROW) + len(RIGHT_EYE) + len(LEFT_EYE))  # subset rows 20-51
EXPRESSIVE = np.array([i for i in range(113) if i not in _EYES])  # brows and mouth: what the distance reads


@dataclass(frozen=True, eq=False)
class Peak:
    """What the detector found in one (T, 113, 2) landmark sequence."""

    rest: np.ndarray  # (113, 2) mean of the first 5 frames
    target_frame: int  # farthest from rest (smoothed)
    activation_frame: int  # largest acceleration away from rest, at or before the target
    distance: np.ndarray  # (T,) smoothed distance from rest
    acceleration: np.ndarray  # (T,) its second derivative, per second squared


def smoothing_window(fps: float) -> int:
    """Savitzky-Golay window in frames: odd, about SMOOTH_S seconds, enough for the polynomial."""
    frames = int(round(SMOOTH_S * fps)) | 1
    return max(frames, (POLYORDER + 2) | 1)


def activation_distance(landmarks: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """How far each face has moved from rest, rigid motion and the eyes left out: (..., 113, 2) -> (...).

    The brows and mouth of each frame are fitted onto the resting face's by a 2-D similarity
    (least squares, closed form in complex numbers), and the distance is the Euclidean norm of
    what the fit leaves.
    """
    z = np.asarray(landmarks, np.float64)[..., EXPRESSIVE, :] @ np.array([1, 1j])  # (..., n) complex
    w = np.asarray(rest, np.float64)[EXPRESSIVE] @ np.array([1, 1j])
    zc, wc = z - z.mean(-1, keepdims=True), w - w.mean()
    scale = (np.conj(zc) * wc).sum(-1, keepdims=True) / (np.abs(zc) ** 2).sum(-1, keepdims=True)  # rotation x scale
    return np.sqrt((np.abs(wc - scale * zc) ** 2).sum(-1))


def find_peak(landmarks: np.ndarray, fps: float) -> Peak:
    """Target face and peak activation of one expression.

    Args:
        landmarks: (T, 113, 2) one expression from a calm start; no missing frames.
        fps: frames per second (sets the filter window and the derivative's units).

    Raises:
        MirrorfaceError: the sequence is shorter than the filter window or holds NaN.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    window = smoothing_window(fps)
    if landmarks.ndim != 3 or len(landmarks) < max(window, REST_FRAMES + 1):
        raise MirrorfaceError(f"an expression needs at least {max(window, REST_FRAMES + 1)} frames of (113, 2) "
                              f"landmarks, got shape {landmarks.shape}")
    if not np.isfinite(landmarks).all():
        raise MirrorfaceError("landmarks hold NaN: fill frames without a face before looking for the peak")
    rest = landmarks[:REST_FRAMES].mean(0)
    raw = activation_distance(landmarks, rest)
    distance = savgol_filter(raw, window, POLYORDER)
    acceleration = savgol_filter(raw, window, POLYORDER, deriv=2, delta=1.0 / fps)
    target = int(np.argmax(distance))
    first = min(REST_FRAMES, target)  # the rest frames are not an onset
    activation = first + int(np.argmax(acceleration[first:target + 1]))
    return Peak(rest.astype(np.float32), target, activation, distance, acceleration)


def _frames(landmarks: np.ndarray, indices: np.ndarray) -> np.ndarray:
    return landmarks[np.clip(indices, 0, len(landmarks) - 1)]  # the ends repeat, as a held frame would


def model_input(landmarks: np.ndarray, activation_frame: int) -> np.ndarray:
    """The 4 frames ending at the peak activation, (4, 113, 2): what the model sees at run time."""
    return _frames(landmarks, activation_frame + np.arange(1 - INPUT_FRAMES, 1)).astype(np.float32)


def windows(video: ExpressionVideo, peak: Peak | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 9 frames around the peak activation (9, 113, 2), the 4 labels (4, 113, 2) and the resting face (113, 2).

    The labels are the camera's frames from the detector's target on, or for a generated video (with `clean`) the
    noise-free faces from its apex on, moved from the noise-free rest to the camera's."""
    peak = peak or find_peak(video.landmarks, video.fps)
    around = _frames(video.landmarks, peak.activation_frame + np.arange(-AROUND, AROUND + 1))
    if video.clean is None:
        labels = _frames(video.landmarks, peak.target_frame + np.arange(LABEL_FRAMES))
    else:
        # The face the person made, from the camera's resting face: the robot is shown a face's displacement from
        # that rest, and the camera's own apex frame carries its jitter (and the rest this video's misreading).
        made = _frames(video.clean, video.apex_frame + np.arange(LABEL_FRAMES))
        labels = peak.rest + made - video.clean[:REST_FRAMES].mean(0)
    return around.astype(np.float32), labels.astype(np.float32), peak.rest


def sample_pairs(around: np.ndarray, labels: np.ndarray, rest: np.ndarray, rng: np.random.Generator,
                 n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random pairs from many videos' windows: (V, 9, 113, 2), (V, 4, 113, 2), (V, 113, 2) ->
    inputs (n, 4, 113, 2), labels (n, 113, 2) and resting faces (n, 113, 2).

    Each pair takes a random video, 4 of its 9 frames in time order and one of its 4 labels.
    """
    video = rng.integers(len(around), size=n)
    chosen = np.sort(rng.random((n, around.shape[1])).argsort(1)[:, :INPUT_FRAMES], axis=1)
    label = rng.integers(labels.shape[1], size=n)
    return around[video[:, None], chosen], labels[video, label], rest[video]


def training_pairs(video: ExpressionVideo, rng: np.random.Generator,
                   n: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n augmented pairs from one video: inputs (n, 4, 113, 2), labels (n, 113, 2), resting faces (n, 113, 2)."""
    around, labels, rest = windows(video)
    return sample_pairs(around[None], labels[None], rest[None], rng, n)
