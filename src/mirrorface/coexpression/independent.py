"""A second, independent source of people, for evaluation only (issue 17).

`synthetic` made the people the models learn from, and was adjusted while looking at results, so
figures measured on more of its people can flatter. This generator shares none of its models, only
the face template and `perception.subset` (the pipeline a real video goes through too):

- **Displacement**: a 3-D thin-plate spline (kernel |r|) through ~40 control points (lip corners
  and centres, chin, brows, lids, cheeks, nose wings) pinned at the forehead, nose bridge and
  outline; an expression sets the control points' displacements and the spline carries the rest
  of the mesh. `synthetic` adds action-unit fields instead.
- **Identity**: the same spline bends the template by random control-point shifts, after a random
  anisotropic scale; each person has a gain per region and a left/right imbalance.
- **Timing**: logistic rises (2% at the onset, 98% at the apex; gamma-distributed onset of mean
  0.9 s), the mouth leading or trailing the brows by up to 0.15 s, an exponential relaxation; in
  half the videos a slow linear creep to 5-15% over 0.2-0.6 s before the onset.
  `synthetic` uses staggered minimum-jerk profiles with lognormal onsets and precursor units.
- **Intensity**: uniform 0.3-1, with every third video at half intensity (0.4-0.6); one video in
  four is asymmetric (one side at 40-70%).
- **Nuisances**: blinks at 15-20 a minute closing the lids 30-100%; head rotation of up to 6 degrees
  (sum of two slow sinusoids per axis) and translation; white and correlated landmark jitter.
`calm_videos` films the same people doing nothing but blinking, moving their heads and jittering:
the false-activation test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirrorface.coexpression.synthetic import EXPRESSIONS, ExpressionVideo, head_rotation
from mirrorface.perception.subset import RIGID, SUBSET, align, template

FPS = 30.0
SPAN = 0.333  # the template's eye span (outer eye corners), the unit of every displacement below
PINNED = (10, 151, 168, 6, 197, 127, 356, 234, 454, 93, 323, 162, 389)  # never moved by the spline
UPPER_LID = {"r": (159, 158, 160), "l": (386, 385, 387)}
LOWER_LID = {"r": (145, 144, 153), "l": (374, 373, 380)}
CONTROL = {  # name -> (right-side landmark, left-side landmark); None for the midline
    "corner": (61, 291), "upper_lip": (37, 267), "lower_lip": (84, 314), "cheek": (205, 425),
    "brow_inner": (107, 336), "brow_mid": (105, 334), "brow_outer": (70, 300), "nose_wing": (129, 358),
    "lid_up": (159, 386), "lid_low": (145, 374), "lid_up_in": (158, 385), "lid_up_out": (160, 387),
    "lid_low_in": (153, 380), "lid_low_out": (144, 373),
    "lip_top": (0, None), "lip_top_in": (13, None), "lip_bottom_in": (14, None), "lip_bottom": (17, None),
    "chin": (152, None),
}
# Displacements at full intensity, in eye spans, for the subject's right side (x towards the midline
# is +1 for the right side; y down; the left side mirrors x).
SHAPES: dict[str, dict[str, tuple[float, float]]] = {
    "smile": {"corner": (-0.07, -0.06), "cheek": (-0.01, -0.035), "upper_lip": (-0.01, -0.012),
              "lid_low": (0, -0.01), "lip_top": (0, -0.008)},
    "happy": {"corner": (-0.08, -0.07), "cheek": (-0.01, -0.04), "upper_lip": (-0.01, -0.02), "lid_low": (0, -0.012),
              "lip_top_in": (0, -0.02), "lip_bottom_in": (0, 0.07), "lower_lip": (0, 0.07), "lip_bottom": (0, 0.07),
              "chin": (0, 0.06)},
    "surprise": {"brow_inner": (0, -0.08), "brow_mid": (0, -0.09), "brow_outer": (0, -0.07), "lid_up": (0, -0.02),
                 "lid_up_in": (0, -0.015), "lid_up_out": (0, -0.015), "lip_bottom_in": (0, 0.1),
                 "lower_lip": (0, 0.1), "lip_bottom": (0, 0.1), "chin": (0, 0.1), "corner": (0.01, 0.02)},
    "sad": {"brow_inner": (0.01, -0.04), "brow_outer": (0, 0.01), "corner": (0.0, 0.05), "lip_bottom": (0, -0.02),
            "lower_lip": (0, 0.01), "chin": (0, -0.015)},
    "anger": {"brow_inner": (0.03, 0.05), "brow_mid": (0.015, 0.04), "lid_up": (0, 0.012), "lid_low": (0, -0.01),
              "lip_top_in": (0, 0.006), "lip_bottom_in": (0, -0.006), "corner": (0.015, 0.0),
              "lip_bottom": (0, -0.015)},
    "fear": {"brow_inner": (0.02, -0.06), "brow_mid": (0, -0.04), "lid_up": (0, -0.02), "corner": (-0.05, 0.02),
             "lip_bottom_in": (0, 0.04), "lower_lip": (0, 0.04), "lip_bottom": (0, 0.04), "chin": (0, 0.03)},
    "disgust": {"upper_lip": (0, -0.045), "lip_top": (0, -0.035), "nose_wing": (0, -0.025), "brow_inner": (0.01, 0.03),
                "corner": (0.01, 0.01), "lid_low": (0, -0.01)},
}
UPPER_FACE = ("brow_inner", "brow_mid", "brow_outer", "lid_up", "lid_low", "lid_up_in", "lid_up_out", "lid_low_in",
         "lid_low_out")  # the upper face, which may lead or trail the mouth
POSED = 1.3
HEAD_DEGREES = 6.0  # the largest head rotation about any axis


def _points() -> tuple[list[int], list[tuple[str, float]]]:
    """Control landmarks and, for each, its control name and side (-1 left, +1 right, 0 midline)."""
    index, names = [], []
    for name, (right, left) in CONTROL.items():
        index.append(right)
        names.append((name, 1.0 if left is not None else 0.0))
        if left is not None:
            index.append(left)
            names.append((name, -1.0))
    return index, names


def _spline(face: np.ndarray, controls: list[int]) -> np.ndarray:
    """(468, k) matrix M: displacements of all landmarks = M @ displacements of the k control points,
    a 3-D thin-plate spline (kernel |r|) with the PINNED landmarks held still."""
    nodes = face[list(controls) + list(PINNED)]
    k = len(nodes)
    kernel = np.linalg.norm(nodes[:, None] - nodes[None], axis=-1)
    affine = np.hstack([np.ones((k, 1)), nodes])
    system = np.block([[kernel, affine], [affine.T, np.zeros((4, 4))]])
    solve = np.linalg.inv(system)[:, :len(controls)]  # only the controls move; the pinned ones stay at 0
    basis = np.hstack([np.linalg.norm(face[:, None] - nodes[None], axis=-1), np.ones((len(face), 1)), face])
    return basis @ solve


@dataclass(frozen=True, eq=False)
class OtherPerson:
    participant: str
    face: np.ndarray  # (468, 3)
    spline: np.ndarray  # (468, k)
    names: list  # per control point: (name, side)
    gain: dict  # per control name
    side_gain: float  # the right side's share of movement against the left's


def make_other_person(seed: int, index: int) -> OtherPerson:
    rng = np.random.default_rng([seed, index, 17])
    face = template().copy()
    centre = face.mean(0)
    face = centre + (face - centre) * np.exp(rng.normal(0, [0.06, 0.06, 0.1]))
    controls, names = _points()
    bend = _spline(face, controls)
    face = face + bend @ (rng.normal(0, 0.025 * SPAN, (len(controls), 3)) * [1, 1, 0.5])
    spline = _spline(face, controls)
    gain = {name: float(np.exp(rng.normal(0, 0.25))) for name in CONTROL}
    return OtherPerson(f"q{index:03d}", face, spline, names, gain, float(np.exp(rng.normal(0, 0.1))))


def _logistic(t: np.ndarray, start: float, apex: float) -> np.ndarray:
    """0.02 at `start`, 0.98 at `apex`."""
    width = (apex - start) / (2 * np.log(49))
    return 1 / (1 + np.exp(-(t - (start + apex) / 2) / width))


def _controls(person: OtherPerson, shape: dict, side: np.ndarray) -> np.ndarray:
    """(k, 3) control displacements for a shape; side (2,) gains of the right and left sides."""
    out = np.zeros((len(person.names), 3))
    for i, (name, s) in enumerate(person.names):
        if name in shape:
            dx, dy = shape[name]
            gain = person.gain[name] * (side[0] if s > 0 else side[1] if s < 0 else side.mean())
            out[i, :2] = np.array([dx * (s if s else 0.0), dy]) * SPAN * gain
    return out


def _blinks(person: OtherPerson, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(T, k, 3) control displacements of blinks: 15-20 a minute, closing 30-100% of the lid gap."""
    out = np.zeros((len(t), len(person.names), 3))
    rate = rng.uniform(15, 20) / 60
    start = rng.uniform(0, 1 / rate)
    gaps = {side: person.face[LOWER_LID[side][0], 1] - person.face[UPPER_LID[side][0], 1] for side in "rl"}
    while start < t[-1]:
        close, length = rng.uniform(0.3, 1.0), rng.uniform(0.1, 0.35)
        phase = np.clip((t - start) / length, 0, 1)
        curve = close * np.sin(np.pi * phase) ** 2
        for i, (name, s) in enumerate(person.names):
            side = "r" if s > 0 else "l"
            if name in ("lid_up", "lid_up_in", "lid_up_out"):
                out[:, i, 1] += 0.85 * gaps[side] * curve
            elif name in ("lid_low", "lid_low_in", "lid_low_out"):
                out[:, i, 1] -= 0.15 * gaps[side] * curve
        start += length + rng.exponential(1 / rate)
    return out


def _film(person: OtherPerson, controls: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(T, k, 3) control displacements -> (T, 113, 2) landmarks through a moving head and a noisy tracker, and
    the same without the tracker's jitter (the face the person made), through the same head-pose removal."""
    n = len(controls)
    t = np.arange(n) / FPS
    face = person.face + np.einsum("mk,tkc->tmc", person.spline, controls)
    angles = np.zeros((n, 3))
    for axis in range(3):  # two slow sinusoids per axis, together at most HEAD_DEGREES
        share = rng.uniform(0.3, 0.7)
        for amp, hz in ((share, rng.uniform(0.05, 0.2)), (1 - share, rng.uniform(0.2, 0.6))):
            angles[:, axis] += HEAD_DEGREES * amp * np.sin(2 * np.pi * hz * t + rng.uniform(0, 2 * np.pi))
    centre = np.array([person.face[1, 0], person.face[:, 1].mean(), 0.25])
    moved = (face - centre) @ np.swapaxes(head_rotation(*angles.T), 1, 2) + centre
    moved = moved + (0.02 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t + rng.uniform(0, 6)))[:, None, None]
    jitter = rng.normal(0, 0.0006, moved.shape)
    slow = np.zeros_like(moved)
    for k in range(1, n):  # correlated over about 4 frames
        slow[k] = 0.78 * slow[k - 1] + rng.normal(0, 0.0004 * np.sqrt(1 - 0.78**2), moved.shape[1:])
    camera = moved + jitter + slow * [1, 1, 2]
    return tuple(align(p[:, list(SUBSET)], p[:, list(RIGID)])[..., :2] for p in (camera, moved))


def film_expression(person: OtherPerson, expression: str, video_id: str, rng: np.random.Generator,
                    half: bool = False, asymmetric: bool = False) -> ExpressionVideo:
    intensity = float(rng.uniform(0.4, 0.6) if half else rng.uniform(0.3, 1.0))
    onset_s = float(np.clip(rng.gamma(3.0, 0.3), 0.2, 3.0))
    rest_s = rng.uniform(1.0, 1.6)
    hold_s, relax_s = rng.uniform(0.6, 1.4), rng.uniform(0.3, 0.8)
    t = np.arange(int((rest_s + onset_s + hold_s + 2 * relax_s) * FPS)) / FPS
    lag = rng.uniform(-0.15, 0.15)  # the upper face against the mouth
    apex = rest_s + onset_s + max(lag, 0.0)
    rise_mouth = _logistic(t, rest_s, rest_s + onset_s)
    rise_brows = _logistic(t, rest_s + lag, rest_s + lag + onset_s)
    if rng.random() < 0.5:  # a slow creep before the onset
        creep_s, creep = rng.uniform(0.2, 0.6), rng.uniform(0.05, 0.15)
        ramp = np.clip((t - rest_s + creep_s) / creep_s, 0, 1) * creep
        rise_mouth, rise_brows = np.maximum(rise_mouth, ramp), np.maximum(rise_brows, ramp)
    relax = np.exp(-np.clip(t - apex - hold_s, 0, None) / relax_s)
    side = np.array([person.side_gain, 1 / person.side_gain])
    if asymmetric:
        side[rng.integers(2)] *= rng.uniform(0.4, 0.7)
    shape = SHAPES[expression]
    upper = {k: v for k, v in shape.items() if k in UPPER_FACE}
    lower = {k: v for k, v in shape.items() if k not in UPPER_FACE}
    level = POSED * intensity * relax
    controls = (level * rise_mouth)[:, None, None] * _controls(person, lower, side)[None]
    controls += (level * rise_brows)[:, None, None] * _controls(person, upper, side)[None]
    controls += _blinks(person, t, rng)
    landmarks, clean = _film(person, controls, rng)
    return ExpressionVideo(person.participant, video_id, expression, FPS, landmarks, int(round(apex * FPS)),
                           int(round(rest_s * FPS)), intensity, clean)


def generate(n_participants: int, videos_per_participant: int, seed: int) -> list[ExpressionVideo]:
    """Each person cycles through EXPRESSIONS; every third video is at half intensity, one in four asymmetric."""
    videos = []
    for index in range(n_participants):
        person = make_other_person(seed, index)
        for k in range(videos_per_participant):
            rng = np.random.default_rng([seed, index, k, 17])
            videos.append(film_expression(person, EXPRESSIONS[(index + k) % len(EXPRESSIONS)],
                                          f"{person.participant}-v{k:02d}", rng, half=k % 3 == 2,
                                          asymmetric=k % 4 == 3))
    return videos


def calm_videos(n_participants: int, seconds: float, seed: int) -> list[ExpressionVideo]:
    """People at rest for `seconds` each: blinks, head motion and jitter, no expression."""
    videos = []
    for index in range(n_participants):
        person = make_other_person(seed, index)
        rng = np.random.default_rng([seed, index, 1 << 16, 17])
        t = np.arange(int(seconds * FPS)) / FPS
        landmarks, clean = _film(person, _blinks(person, t, rng), rng)
        videos.append(ExpressionVideo(person.participant, f"{person.participant}-calm", "calm", FPS, landmarks,
                                      len(t) - 1, len(t) - 1, 0.0, clean))
    return videos
