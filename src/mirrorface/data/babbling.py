"""Motor babbling: the random, safe command sequences a face performs while it watches itself.

Samplers turn a seeded generator into one episode's commands, one row per camera frame:
- `uniform`: random commands over every actuator's range, each held for a few frames; unsafe
  combinations are rejected and redrawn, as the coexpression paper's constraint filter does.
- `speech`: smooth, speech-like trajectories of the mouth only (the lip-sync paper's
  "speech-relevant random commands"): keyframes at syllable rate drawn from a mix of lip
  closures, lip-teeth contacts (f, v), open, rounded and spread shapes and free random poses,
  joined by minimum-jerk transitions of varied duration. Everything above the mouth stays at rest.
- `upper` / `lower`: uniform babbling of the upper face (brows, lids) or the lower face
  (lips, corners, jaw) alone, as in the coexpression paper's two self-model sets.
- `near_rest=True` (uniform, upper, lower): each pose moves a random subset of the actuators, and
  half of the poses are pulled part of the way back to rest (`near_rest_pose`); the coexpression
  self-model babbles this way.
Every command a sampler returns is safe (inside ranges and rules); speed limits are left to the
face's safety layer, which records what it actually sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.face.safety import SafetyLayer
from mirrorface.face.spec import FaceSpec

UPPER_GROUPS = {"brow", "lid"}
LOWER_GROUPS = {"upper_lip", "lower_lip", "corner", "jaw"}
MOUTH_GROUPS = LOWER_GROUPS


@dataclass(frozen=True)
class Sampler:
    """How to babble: which actuators move and how.

    Args:
        kind: "uniform", "speech", "upper" or "lower".
        hold_frames: frames each uniform command is held (uniform, upper, lower).
        near_rest: draw the uniform kinds' poses with `near_rest_pose` (sparse and graded).
    """

    kind: str
    hold_frames: int = 4
    near_rest: bool = False

    KINDS = ("uniform", "speech", "upper", "lower")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise MirrorfaceError(f"unknown sampler {self.kind!r}; choose one of {', '.join(self.KINDS)}")
        if self.hold_frames < 1:
            raise MirrorfaceError(f"hold_frames must be at least 1, got {self.hold_frames}")
        if self.near_rest and self.kind == "speech":
            raise MirrorfaceError("near-rest babbling applies to the uniform, upper and lower samplers, not speech")

    def moving(self, spec: FaceSpec) -> list[int]:
        """Indices of the actuators this sampler moves."""
        groups = {"uniform": None, "speech": MOUTH_GROUPS, "upper": UPPER_GROUPS,
                  "lower": LOWER_GROUPS}[self.kind]
        idx = list(range(spec.n)) if groups is None else spec.indices_of_groups(groups)
        if not idx:
            raise MirrorfaceError(f"face {spec.name!r} has no actuators for the {self.kind!r} sampler")
        return idx

    def commands(self, spec: FaceSpec, n_frames: int, rng: np.random.Generator, fps: float) -> np.ndarray:
        """One episode: (n_frames, spec.n) safe commands."""
        if self.kind == "speech":
            return speech_trajectory(spec, n_frames, rng, fps, self.moving(spec))
        n_poses = -(-n_frames // self.hold_frames)
        poses = random_safe_poses(spec, n_poses, rng, self.moving(spec), self.near_rest)
        return np.repeat(poses, self.hold_frames, axis=0)[:n_frames]


def near_rest_pose(rest: np.ndarray, pose: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A pose near rest made from a uniform one, both (n,): sparse, then half the time graded.

    A random 1..n of `pose`'s values are kept and the others put back at rest (sparse); then, with
    probability 1/2, the whole pose is moved toward rest by a uniform factor (graded). Uniform
    babbling moves every actuator at once, so it almost never shows a face a little way from
    rest, or one with a single actuator moved: the faces that a person's expression asks for.
    One pose in 2n is still the uniform pose itself.
    """
    rest, pose = np.asarray(rest, dtype=float), np.asarray(pose, dtype=float)
    out = rest.copy()
    if len(out) == 0:
        return out
    kept = rng.permutation(len(out))[:rng.integers(1, len(out) + 1)]
    out[kept] = pose[kept]
    if rng.random() < 0.5:
        out = rest + rng.random() * (out - rest)
    return out


def random_safe_poses(spec: FaceSpec, n: int, rng: np.random.Generator, moving: list[int],
                      near_rest: bool = False) -> np.ndarray:
    """n uniform random poses of the `moving` actuators (others neutral), redrawn until safe.

    With `near_rest`, each uniform draw goes through `near_rest_pose` first.
    """
    safety = SafetyLayer(spec)
    lower, upper = spec.lower[moving], spec.upper[moving]
    poses = np.tile(spec.neutral, (n, 1))
    for i in range(n):
        for _ in range(1000):
            draw = rng.uniform(lower, upper)
            poses[i, moving] = near_rest_pose(spec.neutral[moving], draw, rng) if near_rest else draw
            if safety.is_safe(poses[i]):
                break
        else:  # practically unreachable for sane specs; fall back to the nearest safe pose
            poses[i] = safety.project(poses[i])
    return poses


def _speech_keyframe(spec: FaceSpec, rng: np.random.Generator, moving: list[int]) -> np.ndarray:
    """A mouth pose typical of speech: closure, lip-teeth contact, open, rounded, spread, or anything."""
    pose = spec.neutral.copy()
    pose[moving] = np.clip(spec.neutral[moving] + rng.normal(0, 0.18, len(moving)),
                           spec.lower[moving], spec.upper[moving])
    # Lip-teeth contacts are a keyframe of their own: the pose is narrow (lower lip up and tucked,
    # upper lip raised out of its way, jaw shut), so free poses hit it in 1.4% of frames and the
    # models never learned an /f/ that survives execution.
    kind = rng.choice(["closure", "labiodental", "open", "round", "spread", "free"],
                      p=[0.18, 0.12, 0.22, 0.13, 0.13, 0.22])

    def put(group: str, value: float, jitter: float = 0.08) -> None:
        for i in spec.indices_of_groups({group}):
            if i in moving:
                pose[i] = value + rng.normal(0, jitter)

    names = spec.names
    if kind == "closure":  # bilabial: jaw nearly shut, lips pressed together
        put("jaw", 0.03, 0.03)
        for c in spec.lips.closure:
            i = names.index(c.name)
            if i in moving and c.name != "jaw":
                pose[i] = spec.neutral[i] + c.closes * rng.uniform(0.1, 0.35)
    elif kind == "labiodental":  # f, v: lower lip against the upper teeth, the lips apart
        put("jaw", 0.03, 0.03)
        closing = {c.name: c.closes for c in spec.lips.closure if c.name != "jaw"}
        for i in spec.indices_of_groups({"upper_lip", "lower_lip"}):
            if i not in moving:
                continue
            if spec.actuators[i].group == "upper_lip":  # raised, away from closing
                pose[i] = spec.neutral[i] - closing.get(names[i], -1) * rng.uniform(0.1, 0.35)
            elif names[i] in closing:  # the lower lip pushed up toward the teeth
                pose[i] = spec.neutral[i] + closing[names[i]] * rng.uniform(0.25, 0.45)
            else:  # its other actuators at their low end: lips10's roll tucks the lip under the teeth there
                pose[i] = spec.lower[i] + rng.uniform(0.0, 0.3) * (spec.upper[i] - spec.lower[i])
    elif kind == "open":
        put("jaw", rng.uniform(0.4, 0.95), 0.05)
    elif kind in ("round", "spread"):
        x = 0.1 if kind == "round" else 0.9
        for i, name in enumerate(names):
            if i in moving and name.startswith("corner") and name.endswith("_x"):
                pose[i] = x + rng.normal(0, 0.08)
        put("jaw", rng.uniform(0.05, 0.45), 0.05)
    elif kind == "free":
        pose[moving] = rng.uniform(spec.lower[moving], spec.upper[moving])
    return SafetyLayer(spec).project(pose)


def speech_trajectory(spec: FaceSpec, n_frames: int, rng: np.random.Generator, fps: float,
                      moving: list[int]) -> np.ndarray:
    """Minimum-jerk moves between speech-like keyframes, 60-350 ms apart."""
    out = np.empty((n_frames, spec.n))
    start, i = spec.neutral.copy(), 0
    while i < n_frames:
        goal = _speech_keyframe(spec, rng, moving)
        duration = max(2, int(round(rng.uniform(0.06, 0.35) * fps)))
        s = np.arange(1, duration + 1) / duration
        blend = 10 * s**3 - 15 * s**4 + 6 * s**5  # minimum-jerk profile
        seg = start + blend[:, None] * (goal - start)
        take = min(duration, n_frames - i)
        out[i : i + take] = seg[:take]
        i += take
        start = goal
    return out  # convex combinations of safe poses: safe (the safe set is convex)
