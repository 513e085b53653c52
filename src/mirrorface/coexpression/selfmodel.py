"""The robot's self-model data for coexpression: still frames of its upper and lower face.

As in the paper, the face babbles two separate sets of still expressions: one moving only the
brows and lids, one moving only the lips, corners and jaw (1,000 each). The halves move nearly
independently, so an upper half of one frame joined to a lower half of another is close to a
frame the robot could show: 800 x 800 training frames recombine into 640,000 (`recombine`).

The babbling is not uniform (the paper's commands pass "constraint functions" too): each frame
moves a random subset of its half's commands, and half of the frames are pulled part of the way
back to rest (`babbling.near_rest_pose`). People's expressions, brought onto the robot, are faces a
little way from rest with a few commands moved; trained on uniform frames alone, where every
command moves at once, the inverse model read a mouth opened a little as a raised upper lip (it
had never seen a small jaw opening), so a quarter of a happy face activated a command that the
whole face did not.

Frames are recorded through the ordinary babbling pipeline (sampler -> safety layer -> face ->
camera -> MediaPipe -> dataset, one settled still frame per command), so each set is a normal
dataset that `mirrorface dataset sheet` can show. Landmarks are head-normalised and cut to the
113-landmark subset (rows 0..51 upper face, 52..112 lower face).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.constants import ACTION, FACE_DETECTED, LANDMARKS
from mirrorface.data.babbling import LOWER_GROUPS, UPPER_GROUPS, Sampler, near_rest_pose
from mirrorface.data.dataset import Dataset
from mirrorface.errors import MirrorfaceError
from mirrorface.face.safety import SafetyLayer
from mirrorface.face.spec import FaceSpec
from mirrorface.perception.subset import subset

HALVES = {"upper": UPPER_GROUPS, "lower": LOWER_GROUPS, "both": UPPER_GROUPS | LOWER_GROUPS}
SEED_OFFSET = {"upper": 0, "lower": 1000, "both": 2000}  # each set draws its own commands
MORE = "more"  # the folder (under the self-model data) of the extra half-face sets, for training only
MORE_SEED = 100  # added to the seed of the extra sets: commands and camera noise of their own


@dataclass(frozen=True)
class CommandSet:
    """What the inverse model outputs on a face: its symmetric commands, or each expression actuator.

    `actuators[k]` are the face's command indices that output k drives; `upper[k]` says whether it
    moves the upper face (so `recombine` knows which half a value comes from).
    """

    names: tuple[str, ...]
    actuators: tuple[tuple[int, ...], ...]
    upper: tuple[bool, ...]

    @classmethod
    def of(cls, spec: FaceSpec, symmetric: bool = True) -> CommandSet:
        groups = {a.index: a.group for a in spec.actuators}
        if symmetric:
            pairs = [(c.name, tuple(spec.index_of(n) for n in c.actuators)) for c in spec.symmetric]
        else:
            pairs = [(a.name, (a.index,)) for a in spec.ordered]
        pairs = [(name, idx) for name, idx in pairs if groups[idx[0]] in HALVES["both"]]
        if not pairs:
            what = "symmetric commands" if symmetric else "actuators"
            raise MirrorfaceError(f"face {spec.name!r} has no expression {what} (brows, lids, lips, corners, jaw)")
        return cls(tuple(n for n, _ in pairs), tuple(i for _, i in pairs),
                   tuple(groups[i[0]] in UPPER_GROUPS for _, i in pairs))

    def __len__(self) -> int:
        return len(self.names)

    def from_face(self, commands: np.ndarray) -> np.ndarray:
        """(..., spec.n) face commands -> (..., len(self)): the mean over each output's actuators."""
        commands = np.asarray(commands, np.float32)
        return np.stack([commands[..., list(i)].mean(-1) for i in self.actuators], axis=-1)

    def to_face(self, values: np.ndarray, spec: FaceSpec) -> np.ndarray:
        """(len(self),) outputs -> (spec.n,) a face command; actuators it does not drive stay neutral."""
        command = spec.neutral.copy()
        for value, idx in zip(values, self.actuators, strict=True):
            command[list(idx)] = value
        return command


@dataclass(frozen=True)
class SymmetricSampler:
    """Random symmetric expressions of one half of the face, or of both: one frame each.

    It plays the part of a babbling `Sampler` (same `commands` method) for the paper's
    symmetric self-model sets: uniform draws of the symmetric commands through `near_rest_pose`;
    unsafe combinations are redrawn, as `random_safe_poses` does.
    """

    half: str

    def __post_init__(self) -> None:
        if self.half not in HALVES:
            raise MirrorfaceError(f"unknown half {self.half!r}; choose one of {', '.join(HALVES)}")

    def moving(self, spec: FaceSpec) -> list[int]:
        """Indices of the actuators this sampler moves (refuses a face without symmetric expression commands)."""
        outputs = CommandSet.of(spec, symmetric=True)
        return sorted(i for idx in outputs.actuators if spec.ordered[idx[0]].group in HALVES[self.half] for i in idx)

    def commands(self, spec: FaceSpec, n_frames: int, rng: np.random.Generator, fps: float) -> np.ndarray:
        outputs = CommandSet.of(spec, symmetric=True)
        moving = [k for k, idx in enumerate(outputs.actuators) if spec.ordered[idx[0]].group in HALVES[self.half]]
        lower = np.array([max(spec.lower[list(i)]) for i in outputs.actuators])
        upper = np.array([min(spec.upper[list(i)]) for i in outputs.actuators])
        rest = outputs.from_face(spec.neutral)
        safety = SafetyLayer(spec)
        poses = np.empty((n_frames, spec.n))
        for f in range(n_frames):
            values = rest.copy()
            for _ in range(1000):
                values[moving] = near_rest_pose(rest[moving], rng.uniform(lower[moving], upper[moving]), rng)
                poses[f] = outputs.to_face(values, spec)
                if safety.is_safe(poses[f]):
                    break
            else:  # practically unreachable for sane specs
                poses[f] = safety.project(poses[f])
        return poses


def sampler_for(half: str, symmetric: bool) -> SymmetricSampler | Sampler:
    if symmetric or half == "both":
        return SymmetricSampler(half)
    return Sampler(half, hold_frames=1, near_rest=True)


def record_half(spec: FaceSpec, folder: Path, half: str, frames: int, seed: int = 0, symmetric: bool = True,
                progress: Callable[[int], None] | None = None) -> int:
    """Record (or finish recording) one still-frame set into a dataset folder; returns frames recorded now."""
    from mirrorface.data.recorder import BabblePlan, record_dataset

    sampler = sampler_for(half, symmetric)
    plan = BabblePlan(sampler, frames, episode_frames=250, seed=seed + SEED_OFFSET[half], settle=True)
    info = {"sampler": f"coexpression-{half}", "babbling": "near-rest", "symmetric": symmetric, "settle": True,
            "seed": seed}
    # resuming must continue the same recording; those made before near-rest babbling were uniform
    same = {"sampler": info["sampler"], "babbling": "uniform", "symmetric": symmetric, "seed": seed}
    report = None if progress is None else (lambda k, _todo: progress(k))
    recorded, _ = record_dataset(spec, folder, plan, info=info, must_match=same, face_seed=seed + SEED_OFFSET[half],
                                 progress=report)
    return recorded


@dataclass(frozen=True)
class StillFrames:
    """Still frames of the face: landmarks (N, 113, 2) and the commands that made them (N, C)."""

    landmarks: np.ndarray
    commands: np.ndarray

    def __len__(self) -> int:
        return len(self.landmarks)

    def split(self, validation: float = 0.2) -> tuple[StillFrames, StillFrames]:
        """(train, validation) by recording order: the last frames are held out (the paper's 800/200).

        A set of one frame (the resting face standing in for a half the face does not have) is in both.
        """
        if len(self) == 1:
            return self, self
        cut = len(self) - max(1, int(round(validation * len(self))))
        return (StillFrames(self.landmarks[:cut], self.commands[:cut]),
                StillFrames(self.landmarks[cut:], self.commands[cut:]))


def load_frames(folder: Path, outputs: CommandSet) -> StillFrames:
    """A still-frame dataset as landmarks and commands; frames where MediaPipe found no face are dropped."""
    data = Dataset(folder)
    found = data.array(FACE_DETECTED).astype(bool)
    if not found.any():
        raise MirrorfaceError(f"{folder}: MediaPipe found the face in none of its {len(data)} frames")
    landmarks = subset(data.array(LANDMARKS)[found])
    return StillFrames(landmarks, outputs.from_face(data.array(ACTION)[found]))


@dataclass(frozen=True)
class SelfModelData:
    """The two half-face sets of one face, its resting landmarks, and how its commands map to the face."""

    upper: StillFrames
    lower: StillFrames
    rest: np.ndarray  # (113, 2): R_s, the face at its neutral pose
    outputs: CommandSet

    def recombine(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n random joins of an upper-face frame and a lower-face frame: landmarks (n, 113, 2), commands (n, C)."""
        return self.join(rng.integers(len(self.upper), size=n), rng.integers(len(self.lower), size=n))

    def join(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Upper frames i joined to lower frames j.

        The paper joins the upper half's landmarks to the lower half's. On our face each half
        also moves the other's landmarks a little (a smile lifts the cheeks into the lower lids),
        so we add the two frames' displacements from rest over all landmarks instead: the same
        join where the halves are independent, and closer to the face moving both where not.
        """
        landmarks = self.upper.landmarks[i] + self.lower.landmarks[j] - self.rest
        commands = np.where(np.array(self.outputs.upper), self.upper.commands[i], self.lower.commands[j])
        return landmarks.astype(np.float32), commands.astype(np.float32)

    def split(self, validation: float = 0.2) -> tuple[SelfModelData, SelfModelData]:
        (upper_train, upper_val), (lower_train, lower_val) = self.upper.split(validation), self.lower.split(validation)
        return (SelfModelData(upper_train, lower_train, self.rest, self.outputs),
                SelfModelData(upper_val, lower_val, self.rest, self.outputs))

    def all_landmarks(self) -> np.ndarray:
        return np.concatenate([self.upper.landmarks, self.lower.landmarks])

    def extended(self, more: SelfModelData) -> SelfModelData:
        """These frames and another recording's of the same face, half by half."""
        def stacked(a: StillFrames, b: StillFrames) -> StillFrames:
            return StillFrames(np.concatenate([a.landmarks, b.landmarks]), np.concatenate([a.commands, b.commands]))

        return SelfModelData(stacked(self.upper, more.upper), stacked(self.lower, more.lower), self.rest, self.outputs)


def selfmodel_folders(root: Path, outputs: CommandSet) -> dict[str, Path]:
    """The half-face sets a face has: a face with no brows or lids (lips10) babbles its lower half only."""
    halves = [half for half, present in (("upper", any(outputs.upper)), ("lower", not all(outputs.upper)))
              if present]
    return {half: root / half for half in halves}


def record_selfmodel(spec: FaceSpec, root: Path, frames: int = 1000, seed: int = 0, symmetric: bool = True,
                     progress: Callable[[str, int], None] | None = None) -> None:
    """Record the half-face sets under `root` (upper/, lower/); an interrupted run resumes."""
    outputs = CommandSet.of(spec, symmetric)  # a face without expression commands fails here, before any folder
    for half, folder in selfmodel_folders(root, outputs).items():
        record_half(spec, folder, half, frames, seed, symmetric,
                    None if progress is None else (lambda k, h=half: progress(h, k)))


def record_more(spec: FaceSpec, root: Path, frames: int, seed: int = 0, symmetric: bool = True,
                progress: Callable[[str, int], None] | None = None) -> None:
    """Record (or finish) the extra half-face sets under `root`/more: training frames beyond the paper's.

    The paper's 800 training frames a half are few for the lower face, whose 7 commands move the
    landmarks nonlinearly (the jaw swings the lower lip and corners along arcs, the lips press
    against each other); the held-out 200 a half stay the paper's, so the test sets do not change.
    """
    if frames > 0:
        record_selfmodel(spec, root / MORE, frames, seed + MORE_SEED, symmetric, progress)


def training_data(spec: FaceSpec, root: Path, rest: np.ndarray, symmetric: bool = True, more: int = 0,
                  ) -> tuple[SelfModelData, SelfModelData]:
    """(train, held out): the paper's split of the half-face sets, the first `more` extra frames a
    half (`record_more`) added to the training side."""
    train, held_out = load_selfmodel(spec, root, rest, symmetric).split()
    if more > 0:
        extra = load_selfmodel(spec, root / MORE, rest, symmetric)
        recorded = selfmodel_folders(root / MORE, extra.outputs)  # a half the face lacks stays its one resting frame
        first = [StillFrames(frames.landmarks[:n], frames.commands[:n])
                 for name, frames in (("upper", extra.upper), ("lower", extra.lower))
                 for n in [more if name in recorded else 0]]
        train = train.extended(SelfModelData(*first, rest, extra.outputs))
    return train, held_out


def load_selfmodel(spec: FaceSpec, root: Path, rest: np.ndarray, symmetric: bool = True) -> SelfModelData:
    """The half-face sets under `root`; `rest` is the face's resting landmarks (`resting_landmarks`).

    A half the face does not have is its resting face, one frame: joins are then the other half's frames.
    """
    outputs = CommandSet.of(spec, symmetric)
    folders = selfmodel_folders(root, outputs)
    resting = StillFrames(rest[None].astype(np.float32), outputs.from_face(spec.neutral)[None])
    upper, lower = (load_frames(folders[half], outputs) if half in folders else resting for half in ("upper", "lower"))
    return SelfModelData(upper, lower, rest, outputs)


def resting_landmarks(spec: FaceSpec, frames: int = 16, seed: int = 0) -> np.ndarray:
    """R_s: the mean landmarks (113, 2) of the face resting at its neutral pose, over camera noise."""
    from mirrorface.hardware.face import make_face
    from mirrorface.perception.landmarks import FaceMeshDetector

    found = []
    with make_face(spec, seed=seed) as face, FaceMeshDetector(video=False) as detect:
        face.go_neutral()
        for _ in range(frames):
            if (mesh := detect(face.read_frame())) is not None:
                found.append(mesh)
            face.advance(1.0 / spec.camera.fps)
    if not found:
        raise MirrorfaceError(f"MediaPipe cannot find face {spec.name!r} at its neutral pose")
    return subset(np.array(found)).mean(0)
