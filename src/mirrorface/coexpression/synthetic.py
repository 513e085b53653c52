"""Synthetic humans: seeded landmark videos of people making facial expressions.

The stand-in for the MMI database (see docs/coexpression.md, "synthetic humans"). Every video is
made the way a camera and MediaPipe would see a person: a 468-landmark face of its own shape
moves its facial action units (`face_actions`) through a neutral start, subtle precursors, the
onset, the apex and the offset, blinks, turns its head, is placed in a camera frame, picks up
landmark jitter, and is then brought back through `perception.subset` (head pose removed,
113 landmarks kept), exactly as a real video would be.

Everything is drawn from seeded generators keyed by (seed, participant, video), so a
participant is the same person whatever else is generated alongside.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from mirrorface.coexpression.face_actions import NAMES, action_basis, eye_span
from mirrorface.perception.subset import RIGID, SUBSET, align, template

EXPRESSIONS = ("happy", "sad", "surprise", "anger", "fear", "disgust", "smile")

# Action units of each expression at full intensity (after EMFACS prototypes; "smile" is the
# social smile without the full Duchenne cheek raise that "happy" has).
PROTOTYPES: dict[str, dict[str, float]] = {
    "happy": {"AU6": 1.0, "AU12": 1.0, "AU25": 0.6, "AU26": 0.25},
    "smile": {"AU12": 1.0, "AU6": 0.5},
    "sad": {"AU1": 1.0, "AU4": 0.6, "AU15": 1.0, "AU17": 0.6},
    "surprise": {"AU1": 1.0, "AU2": 1.0, "AU5": 1.0, "AU25": 0.8, "AU26": 0.8},
    "anger": {"AU4": 1.0, "AU5": 0.4, "AU7": 1.0, "AU23": 1.0, "AU24": 0.6},
    "fear": {"AU1": 1.0, "AU2": 0.6, "AU4": 0.6, "AU5": 1.0, "AU7": 0.3, "AU20": 1.0, "AU25": 0.6, "AU26": 0.3},
    "disgust": {"AU9": 1.0, "AU10": 1.0, "AU15": 0.4, "AU17": 0.5, "AU4": 0.3},
}
# Precursors: the units that start early, and the share of their apex level they creep up to,
# starting 0.25-0.7 s before the visible onset and finishing PRECURSOR_INTO_ONSET of the way into
# it (at precursor strength 1). A smile is announced by the cheeks and a twitch of the corners,
# surprise by widening eyes, anger by lowering brows, disgust by the nose.
PRECURSORS: dict[str, dict[str, float]] = {
    "happy": {"AU6": 0.35, "AU12": 0.15},
    "smile": {"AU12": 0.2, "AU6": 0.3},
    "sad": {"AU1": 0.35, "AU15": 0.15},
    "surprise": {"AU5": 0.4, "AU1": 0.15, "AU2": 0.15},
    "anger": {"AU4": 0.35, "AU7": 0.2},
    "fear": {"AU5": 0.35, "AU1": 0.2, "AU20": 0.15},
    "disgust": {"AU9": 0.35, "AU10": 0.15},
}
# Head movement that goes with an expression at full intensity: (pitch down, yaw, roll) in
# degrees and the change of distance to the camera; a random sign where either way is natural.
HEAD: dict[str, tuple[float, float, float, float]] = {
    "happy": (-2.0, 0.0, 2.0, 0.0), "smile": (0.0, 0.0, 1.5, 0.0), "sad": (4.0, 0.0, 0.0, 0.0),
    "surprise": (-4.0, 0.0, 0.0, 0.0), "anger": (2.0, 0.0, 0.0, 0.0), "fear": (-2.0, 0.0, 0.0, -0.03),
    "disgust": (0.0, 4.0, 0.0, -0.03),
}

ONSET_MEAN_S, ONSET_SD_S = 0.841, 0.713  # the paper's onset-to-apex time over its 970 videos
_LOG_SD = float(np.sqrt(np.log1p((ONSET_SD_S / ONSET_MEAN_S) ** 2)))
_LOG_MEAN = float(np.log(ONSET_MEAN_S) - _LOG_SD**2 / 2)
NO_PRECURSOR = 0.15  # share of videos whose face gives nothing away before the onset
JITTER_WHITE, JITTER_SLOW = 0.0005, 0.0005  # landmark noise in frame heights: 0.25 px each at 480 px
POSED = 1.5  # posed expressions (as in MMI) are larger than the everyday ones the action sizes describe
# How far a video's apex goes towards the person's full expression. The paper's videos (MMI) are
# posed: each person shows each expression to its apex on instruction, so the six basic
# expressions come close to full (what varies is the person's style, `Person.gains`, and each
# unit's share); smiles stay of every intensity, from a polite lift of the corners to a grin.
# Issue 17 widened what the models learn from: every expression from subtle to full, so that the
# predictive model reads the apex's size from the face instead of assuming it.
POSED_INTENSITY, SMILE_INTENSITY = (0.3, 1.0), (0.25, 1.0)
PRECURSOR_INTO_ONSET = 0.3  # precursors keep rising into the first part of the onset
BLINKS_PER_MIN = (15.0, 20.0)  # natural blink rates; a blink closes the lids 30-100% of the way
BLINK_CLOSURE = (0.3, 1.0)
HEAD_SD_DEGREES = (1.0, 2.0)  # a video's head drift, per axis (peaks near 6 degrees at the top of the range)
ASYMMETRIC, ONE_SIDE = 0.25, (0.4, 0.7)  # share of videos made more on one side, and that side's gain
TALKING, TALK_LEVEL = 0.2, 0.25  # share of videos whose mouth talks throughout, and how much (lips and jaw)
TALK_UNITS = ("AU25", "AU26", "AU10", "AU17")
_FILMED = list(SUBSET + RIGID)  # the landmarks a video needs: the 113 it keeps, then those that fix the pose


@dataclass(frozen=True, eq=False)
class ExpressionVideo:
    """One person making one expression, as 113 head-normalised landmarks per frame."""

    participant: str
    video_id: str
    expression: str  # one of EXPRESSIONS, or "unknown" for unlabelled real videos
    fps: float
    landmarks: np.ndarray  # (T, 113, 2) float32, canonical frame (perception.subset)
    apex_frame: int  # the expression is complete (synthetic: known; real: the peak detector's target)
    onset_frame: int  # the visible change begins (precursors may come before it)
    intensity: float  # 0..1 (NaN when unknown)
    # Generated people only: the same frames without the tracker's measurement error (jitter, misreading), the
    # face the person actually made; None for real videos, whose true face nobody knows.
    clean: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Person:
    """A synthetic participant: face shape, expression style and camera."""

    participant: str
    face: np.ndarray  # (468, 3) neutral face in the canonical frame
    basis: np.ndarray  # (len(NAMES), 468, 3) the person's action fields at full intensity
    gains: np.ndarray  # (len(NAMES),) how strongly this person moves each unit
    aspect: float  # the camera frame's width / height
    size: float  # face size in the frame, relative to the canonical face


def _warp(face: np.ndarray, centre: np.ndarray, radius: float, matrix=None, shift=None) -> np.ndarray:
    """Move landmarks near `centre` by matrix @ (p - centre) + shift, fading over `radius`."""
    weight = np.exp(-0.5 * ((face - centre) ** 2).sum(-1) / radius**2)[:, None]
    move = np.zeros_like(face)
    if matrix is not None:
        move += (face - centre) @ (np.asarray(matrix) - np.eye(3)).T
    if shift is not None:
        move += shift
    return face + weight * move


def _identity(rng: np.random.Generator) -> np.ndarray:
    """A face shape: the canonical face with its proportions and features varied, (468, 3)."""
    face = template().copy()
    span = eye_span(face)
    centre = face.mean(0)
    face = centre + (face - centre) * np.exp(rng.normal(0, [0.05, 0.05, 0.08]))  # overall proportions
    for right, left in ((33, 133), (263, 362)):  # eyes: spacing, size
        eye = face[[right, left]].mean(0)
        out = np.sign(eye[0] - face[1, 0])
        face = _warp(face, eye, 0.25 * span, shift=[out * rng.normal(0, 0.03) * span, 0, 0])
        face = _warp(face, eye, 0.15 * span, matrix=np.eye(3) * np.exp(rng.normal(0, 0.08)))
    for brow in (105, 334):
        face = _warp(face, face[brow], 0.12 * span, shift=[0, rng.normal(0, 0.03) * span, 0])
    face = _warp(face, face[1], 0.15 * span, shift=[0, rng.normal(0, 0.03) * span, 0],  # nose
                 matrix=np.diag([np.exp(rng.normal(0, 0.08)), 1, 1]))
    mouth = face[[61, 291]].mean(0)
    face = _warp(face, mouth, 0.3 * span, shift=[0, rng.normal(0, 0.03) * span, 0],
                 matrix=np.diag([np.exp(rng.normal(0, 0.07)), 1, 1]))
    face = _warp(face, mouth, 0.15 * span, matrix=np.diag([1, np.exp(rng.normal(0, 0.12)), 1]))  # lip height
    below = np.clip((face[:, 1] - mouth[1]) / (face[152, 1] - mouth[1]), 0, None)[:, None]  # jaw and chin
    face = face + below * np.array([(face[:, 0] - mouth[0]) * rng.normal(0, 0.05),
                                    rng.normal(0, 0.04) * span * np.ones(len(face)), np.zeros(len(face))]).T
    for anchor in rng.choice(468, 6, replace=False):  # a little asymmetry
        face = _warp(face, face[anchor], 0.2 * span, shift=rng.normal(0, 0.01, 3) * span)
    return face


def make_person(seed: int, index: int) -> Person:
    """Participant `index` of the population drawn with `seed`."""
    rng = np.random.default_rng([seed, index])
    face = _identity(rng)
    basis = action_basis(face)
    span = eye_span(face)
    lean = np.tanh((face[:, 0] - face[1, 0]) / (0.1 * span))  # -1 on the right half, +1 on the left
    basis = basis * (1 + rng.normal(0, 0.08, len(NAMES))[:, None, None] * lean[None, :, None])  # asymmetry
    gains = np.exp(rng.normal(0, 0.2) + rng.normal(0, 0.2, len(NAMES)))
    gains[NAMES.index("AU43")] = 1.0  # a blink closes the eye whoever blinks
    aspect = float(rng.choice([1.0, 4 / 3, 16 / 9]))
    return Person(f"p{index:03d}", face, basis, gains, aspect, float(rng.uniform(0.7, 1.1)))


def _ramp(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk rise from 0 (x <= 0) to 1 (x >= 1): how faces and limbs move."""
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10 - 15 * x + 6 * x**2)


def _slow_noise(rng: np.random.Generator, shape: tuple[int, ...], sd: float, tau_frames: float) -> np.ndarray:
    """An AR(1) process along axis 0 with stationary standard deviation `sd`."""
    rho = np.exp(-1.0 / max(tau_frames, 1e-6))
    out = rng.standard_normal(shape, dtype=np.float32) * np.float32(sd * np.sqrt(1 - rho**2))
    out[0] *= 1 / np.sqrt(1 - rho**2)  # start in the stationary distribution
    for t in range(1, shape[0]):
        out[t] += rho * out[t - 1]
    return out


def head_rotation(pitch: np.ndarray, yaw: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """(T, 3, 3) head rotations from angles in degrees (pitch about x, yaw about y, roll about z)."""
    p, y, r = np.radians(pitch), np.radians(yaw), np.radians(roll)
    one, zero = np.ones_like(p), np.zeros_like(p)
    rx = np.stack([one, zero, zero, zero, np.cos(p), -np.sin(p), zero, np.sin(p), np.cos(p)], -1)
    ry = np.stack([np.cos(y), zero, np.sin(y), zero, one, zero, -np.sin(y), zero, np.cos(y)], -1)
    rz = np.stack([np.cos(r), -np.sin(r), zero, np.sin(r), np.cos(r), zero, zero, zero, one], -1)
    return rz.reshape(-1, 3, 3) @ ry.reshape(-1, 3, 3) @ rx.reshape(-1, 3, 3)


def film(person: Person, expression: str, video_id: str, rng: np.random.Generator, fps: float = 30.0,
         precursors: float = 1.0) -> ExpressionVideo:
    """One video of `person` making `expression`.

    The time course: a calm start of 0.5-1.3 s; precursors creep in from 0.25-0.7 s before the
    onset; the onset-to-apex time is lognormal with the paper's 0.841 +/- 0.713 s (clipped to
    0.15-5 s), the expression's units rising along staggered minimum-jerk profiles; the apex
    holds 0.5-1.5 s, relaxing by 3-15%; the clip ends somewhere along a 0.5-1.2 s offset.

    Args:
        precursors: scales how far the precursor units move before the onset (0: none at all).
    """
    smile = expression == "smile"
    intensity = float(rng.uniform(*(SMILE_INTENSITY if smile else POSED_INTENSITY)))
    onset_s = float(np.clip(rng.lognormal(_LOG_MEAN, _LOG_SD), 0.15, 5.0))
    rest_s, lead_s = rng.uniform(0.5, 1.3), rng.uniform(0.25, 0.7)
    t_pre, t_on = rest_s, rest_s + lead_s
    units = [NAMES.index(name) for name in PROTOTYPES[expression]]
    weights = np.array(list(PROTOTYPES[expression].values()))
    durations = onset_s * rng.uniform(0.75, 1.0, len(units))  # units rise together, not in lockstep
    delays = rng.uniform(0, 1, len(units)) * (onset_s - durations)
    delays[0] = onset_s - durations[0]  # the main unit completes the expression
    t_apex = t_on + onset_s
    hold_s, decay = rng.uniform(0.5, 1.5), rng.uniform(0.03, 0.15)
    offset_s, residual = rng.uniform(0.5, 1.2), rng.uniform(0.0, 0.3)
    t_end = t_apex + hold_s + offset_s * rng.uniform(0.3, 1.0)
    t = np.arange(int(t_end * fps) + 1) / fps

    share = np.array([PRECURSORS[expression].get(NAMES[u], 0.0) for u in units])
    share = np.clip(share * precursors * rng.lognormal(0, 0.4) * (rng.random() > NO_PRECURSOR), 0, 0.6)
    early = _ramp((t[:, None] - t_pre) / (lead_s + PRECURSOR_INTO_ONSET * onset_s))
    rise = share * early + (1 - share) * _ramp((t[:, None] - t_on - delays) / durations)
    envelope = (1 - decay * np.clip((t - t_apex) / hold_s, 0, 1)) * (
        1 - (1 - residual) * _ramp((t - t_apex - hold_s) / offset_s))
    level = POSED * intensity * weights * person.gains[units] * rng.lognormal(0, 0.1, len(units))
    expressed = np.zeros((len(t), len(NAMES)), np.float32)
    expressed[:, units] = level * rise * envelope[:, None]
    weak_side = None
    if rng.random() < ASYMMETRIC:  # one side of the face makes less of the expression
        weak_side = float(rng.choice([-1.0, 1.0])), float(rng.uniform(*ONE_SIDE))
    moving = _move(person, _background(t, rng, fps), expressed, weak_side)
    landmarks, clean = _canonical(person, *_to_camera(moving, person, expression,
                                                      intensity * envelope * rise.mean(1), rng, fps))
    return ExpressionVideo(person.participant, video_id, expression, fps, landmarks,
                           int(round(t_apex * fps)), int(round(t_on * fps)), intensity, clean)


def _background(t: np.ndarray, rng: np.random.Generator, fps: float, talking: float = TALKING) -> np.ndarray:
    """(T, units) what a face does besides its expression: drifts, blinks, and (a share `talking`) talks."""
    activity = _slow_noise(rng, (len(t), len(NAMES)), 0.02, 0.5 * fps)  # a face at rest is never still
    activity[:, NAMES.index("AU43")] = _blinks(t, rng)
    if rng.random() < talking:
        talk = [NAMES.index(u) for u in TALK_UNITS]
        activity[:, talk] += np.abs(_slow_noise(rng, (len(t), len(talk)), TALK_LEVEL, 0.12 * fps))
    return activity


def _move(person: Person, background: np.ndarray, expressed: np.ndarray,
          weak_side: tuple[float, float] | None = None) -> np.ndarray:
    """(T, units) activities -> (T, filmed landmarks, 3); weak_side (side, gain) scales one side's expression."""
    basis = person.basis[:, _FILMED].reshape(len(NAMES), -1)
    moved = (background + expressed) @ basis
    if weak_side is not None:
        side, gain = weak_side
        on_side = (np.sign(person.face[_FILMED, 0] - person.face[1, 0]) == side).repeat(3)
        moved -= (1 - gain) * (expressed @ basis) * on_side
    return person.face[_FILMED] + moved.reshape(len(background), len(_FILMED), 3)


def film_calm(person: Person, seconds: float, rng: np.random.Generator, fps: float = 30.0) -> ExpressionVideo:
    """`person` at rest for `seconds`: drifts, blinks, head motion and jitter (false-activation tests)."""
    t = np.arange(int(seconds * fps)) / fps
    moving = _move(person, _background(t, rng, fps, talking=0.0), np.zeros((len(t), len(NAMES)), np.float32))
    landmarks, clean = _canonical(person, *_to_camera(moving, person, "smile", np.zeros(len(t)), rng, fps))
    return ExpressionVideo(person.participant, f"{person.participant}-calm", "calm", fps, landmarks,
                           len(t) - 1, len(t) - 1, 0.0, clean)


def _blinks(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Eye closure over time: blinks at natural rates, closing the lids part or all of the way."""
    closure = np.zeros_like(t)
    per_s = rng.uniform(*BLINKS_PER_MIN) / 60
    start = rng.exponential(1 / per_s)
    while start < t[-1]:
        close_s, open_s = rng.uniform(0.07, 0.12), rng.uniform(0.12, 0.2)
        shape = _ramp((t - start) / close_s) * (1 - _ramp((t - start - close_s) / open_s))
        closure = np.maximum(closure, rng.uniform(*BLINK_CLOSURE) * shape)
        start += close_s + open_s + rng.exponential(1 / per_s)
    return closure


def _canonical(person: Person, camera: np.ndarray, bias: np.ndarray, jitter: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame landmarks and the tracker's errors on them -> the (T, 113, 2) canonical landmarks the
    tracker reports, and those of the face itself (no error), both through the same head-pose removal."""
    frame = np.array([person.aspect, 1.0, person.aspect])  # MediaPipe normalises x (and z) by the width
    return tuple(np.ascontiguousarray(align(p[:, :len(SUBSET)] / frame, p[:, len(SUBSET):] / frame,
                                            aspect=person.aspect)[..., :2]) for p in (camera + bias + jitter, camera))


def _to_camera(face: np.ndarray, person: Person, expression: str, expressed: np.ndarray,
               rng: np.random.Generator, fps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn, move and place (T, k, 3) landmarks in the camera frame (x, y, z in frame heights); returns them
    and MediaPipe-like measurement errors to add: a per-video misreading and jitter."""
    n = len(face)
    pitch, yaw, roll, closer = HEAD[expression]
    sign = rng.choice([-1.0, 1.0], 2)
    degrees = rng.uniform(*HEAD_SD_DEGREES)
    drift = _slow_noise(rng, (n, 4), 1.0, 1.5 * fps) * [degrees, degrees, degrees, 0.02]  # degrees x3, relative size
    angles = drift[:, :3] + expressed[:, None] * [pitch, sign[0] * yaw, sign[1] * roll]
    scale = person.size * (1 + drift[:, 3] + closer * expressed)
    centre = np.array([person.face[1, 0], person.face[:, 1].mean(), 0.3])  # about the middle of the head
    turned = (face - centre) @ np.swapaxes(head_rotation(*angles.T), 1, 2)
    place = np.array([person.aspect * 0.5, 0.5, 0.0]) + _slow_noise(rng, (n, 3), 0.015, 2 * fps) * [1, 1, 0]
    camera = scale[:, None, None] * turned + place[:, None, :]  # x, y, z in frame heights
    bias = np.zeros(face.shape[1:])  # how MediaPipe misreads this video's face, the same in every frame
    for anchor in rng.choice(face.shape[1], 4, replace=False):
        bias += np.exp(-0.5 * ((face[0] - face[0, anchor]) ** 2).sum(-1) / 0.05**2)[:, None] * rng.normal(0, 0.003, 3)
    jitter = rng.standard_normal(camera.shape, dtype=np.float32) * np.float32(JITTER_WHITE)
    jitter += _slow_noise(rng, camera.shape, JITTER_SLOW, 3)
    return camera, bias, jitter * [1.0, 1.0, 2.0]  # MediaPipe's depth is its least certain axis


def generate(n_participants: int, videos_per_participant: int, seed: int, fps: float = 30.0, *,
             precursors: float = 1.0) -> list[ExpressionVideo]:
    """A population of synthetic participants, each filmed making expressions.

    Args:
        n_participants: people, named p000, p001, ...
        videos_per_participant: each person cycles through EXPRESSIONS from a random start, so
            classes stay balanced; video ids are "<participant>-v<k>".
        seed: the population; a participant's face and videos do not depend on the other counts.
        fps: frame rate of the videos.
        precursors: strength of the subtle changes before each onset (1: the documented model;
            0: faces give nothing away before they visibly move).

    Returns:
        Videos in participant order.
    """
    return list(iter_generate(n_participants, videos_per_participant, seed, fps, precursors=precursors))


def calm_clips(n_participants: int, seconds: float, seed: int, fps: float = 30.0) -> list[ExpressionVideo]:
    """People of the population drawn with `seed`, at rest for `seconds` each (`film_calm`)."""
    return [film_calm(make_person(seed, i), seconds, np.random.default_rng([seed, i, 1 << 21]), fps)
            for i in range(n_participants)]


def iter_generate(n_participants: int, videos_per_participant: int, seed: int, fps: float = 30.0, *,
                  precursors: float = 1.0) -> Iterator[ExpressionVideo]:
    """`generate`, one video at a time (a large population need not fit in memory)."""
    for index in range(n_participants):
        person = make_person(seed, index)
        start = int(np.random.default_rng([seed, index, 1 << 20]).integers(len(EXPRESSIONS)))
        for k in range(videos_per_participant):
            rng = np.random.default_rng([seed, index, k])
            expression = EXPRESSIONS[(start + k) % len(EXPRESSIONS)]
            yield film(person, expression, f"{person.participant}-v{k:02d}", rng, fps, precursors)
