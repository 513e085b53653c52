"""Record a babbling dataset: sampler -> safety layer -> face -> camera -> MediaPipe -> dataset.

Two stages overlap on two cores: a producer thread steps the face and grabs frames, while the
calling thread runs MediaPipe (which releases the GIL) and writes the dataset. The writer
flushes every second, so an interrupt loses at most about a second; rerunning resumes with
the next episode. Episode e always babbles with the generator seeded by (seed, e), so a run's
commands do not depend on how often it was interrupted.
"""

from __future__ import annotations

import platform
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.data.babbling import Sampler
from mirrorface.data.dataset import INFO, read_info
from mirrorface.data.writer import DatasetWriter
from mirrorface.errors import DatasetError, MirrorfaceError
from mirrorface.face.spec import FaceSpec, parse_spec
from mirrorface.hardware.face import Face, make_face
from mirrorface.perception.landmarks import FaceMeshDetector, FaceMeshProcess

_DONE = object()


@dataclass(frozen=True)
class BabblePlan:
    """What to record.

    Args:
        frames: total frames the dataset should hold when done (a resumed run records the rest).
        episode_frames: frames per episode (episodes split training and validation data).
        seed: seeds the sampler, per episode.
        settle: wait for the servos to reach each command and record one still frame per command
            (the coexpression self-model data) instead of a continuous video.
    """

    sampler: Sampler
    frames: int
    episode_frames: int = 300
    seed: int = 0
    settle: bool = False


@dataclass
class _Frame:
    episode: int
    timestamp: float
    action: np.ndarray
    state: np.ndarray
    image: np.ndarray


def _settle_seconds(face: Face) -> float:
    spec = face.spec
    return float(np.max((spec.upper - spec.lower) / spec.speed)) + 5 * spec.sim.lag_s


def _produce(face: Face, plan: BabblePlan, first_episode: int, remaining: int,
             out: queue.Queue, stop: threading.Event) -> None:
    spec, fps = face.spec, face.spec.camera.fps
    try:
        episode = first_episode
        while remaining > 0 and not stop.is_set():
            n = min(plan.episode_frames, remaining)
            rng = np.random.default_rng([plan.seed, episode])
            commands = plan.sampler.commands(spec, n, rng, fps)
            face.go_neutral()  # every episode starts from rest, however the last one ended
            start = face.clock
            for command in commands:
                if stop.is_set():
                    return
                sent = face.send(command)
                face.advance(_settle_seconds(face) if plan.settle else 1.0 / fps)
                frame = _Frame(episode, face.clock - start, sent, face.read_positions(), face.read_frame())
                out.put(frame)
            remaining -= n
            episode += 1
    except BaseException as exc:  # hand any failure to the consumer, which re-raises it
        out.put(exc)
    finally:
        out.put(_DONE)


def record_babbling(face: Face, writer: DatasetWriter, plan: BabblePlan,
                    detector: FaceMeshDetector | FaceMeshProcess,
                    progress: Callable[[int], None] | None = None) -> int:
    """Record until the dataset holds `plan.frames` frames; returns the frames recorded now.

    Landmarks are pipelined one frame behind: frame k goes to the detector before frame k-1 is
    written, so a detector in its own process works while this thread writes.
    """
    remaining = plan.frames - writer.total_frames
    if remaining <= 0:
        return 0
    frames: queue.Queue = queue.Queue(maxsize=64)
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce, args=(face, plan, writer.n_episodes, remaining, frames, stop), daemon=True
    )
    producer.start()
    recorded, episode, pending = 0, None, None

    def write(item: _Frame) -> None:
        nonlocal recorded, episode
        landmarks = detector.result()
        if item.episode != episode:
            if episode is not None:
                writer.end_episode()
            writer.start_episode()
            episode = item.episode
        writer.add_frame(timestamp=item.timestamp, action=item.action, state=item.state,
                         landmarks=landmarks, image=item.image)
        recorded += 1
        if progress is not None:
            progress(recorded)

    try:
        while (item := frames.get()) is not _DONE:
            if isinstance(item, BaseException):
                if pending is not None:
                    write(pending)
                raise item
            detector.submit(item.image)
            if pending is not None:
                write(pending)
            pending = item
        if pending is not None:
            write(pending)
        if episode is not None:
            writer.end_episode()
    finally:
        stop.set()
        while producer.is_alive():  # unblock a producer waiting on a full queue
            try:
                frames.get_nowait()
            except queue.Empty:
                producer.join(timeout=0.05)
    return recorded


def software_versions() -> dict[str, str]:
    """What a dataset records about the software that made it."""
    import cv2
    import mediapipe

    import mirrorface

    return {"mirrorface": mirrorface.__version__, "python": platform.python_version(),
            "numpy": np.__version__, "mediapipe": mediapipe.__version__, "opencv": cv2.__version__}


def recorded_digest(folder: Path, spec: FaceSpec) -> str:
    """The digest of the face spec a dataset at `folder` was recorded with.

    Datasets made before digests were stored keep their spec's text (`face_spec`), whose digest is
    computed here; one that keeps neither (older self-model recordings) is taken to match `spec`.
    """
    if not (folder / INFO).is_file():
        return spec.digest
    info = read_info(folder)
    if "face_digest" in info:
        return info["face_digest"]
    if "face_spec" in info:
        try:
            return parse_spec(info["face_spec"], str(folder)).digest
        except MirrorfaceError:
            raise DatasetError(f"{folder}: the face spec it keeps no longer loads; choose another folder") from None
    return spec.digest


def record_dataset(spec: FaceSpec, folder: Path, plan: BabblePlan, *, info: dict, must_match: dict,
                   video: bool = True, face_seed: int = 0, progress: Callable[[int, int], None] | None = None,
                   recovered: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Babble on `spec`'s face into the dataset at `folder` (created or resumed); (frames recorded now, in total).

    The face connects before anything is written, so a face that cannot be reached leaves no
    folder behind. Resuming refuses a dataset recorded with another face spec (any difference, not
    just the name) or with other `must_match` settings (see `DatasetWriter`). `progress` hears
    (frames recorded now, frames this run records); `recovered` how many frames of an interrupted
    episode were saved.
    """
    plan.sampler.moving(spec)  # refuse a sampler the face cannot do before opening anything
    if recorded_digest(folder, spec) != spec.digest:
        raise DatasetError(f"cannot append to {folder}: it was recorded with another version of face "
                           f"{spec.name!r} (its actuators, ranges, rules or limits differ); choose another folder")
    info = {"face": spec.name, "face_digest": spec.digest, **info}
    with make_face(spec, seed=face_seed) as face:
        writer = DatasetWriter(folder, fps=spec.camera.fps, n_actuators=spec.n, actuator_names=spec.names,
                               image_size=(spec.camera.height, spec.camera.width), video=video,
                               extra_info=info, must_match=must_match)
        with writer, FaceMeshProcess(video=not plan.settle) as detector:
            if writer.recovered_frames and recovered is not None:
                recovered(writer.recovered_frames)
            todo = max(0, plan.frames - writer.total_frames)
            report = None if progress is None else (lambda k: progress(k, todo))
            return record_babbling(face, writer, plan, detector, report), writer.total_frames


def babble_dataset(spec: FaceSpec, spec_text: str, folder: Path, plan: BabblePlan, *, video: bool = True,
           progress: Callable[[int, int], None] | None = None,
           recovered: Callable[[int], None] | None = None) -> tuple[int, int]:
    """A babbling dataset (`mirrorface babble`): `record_dataset` with the settings it keeps and must resume with.

    `spec_text` is the face spec's TOML, stored with the data so the dataset says what face made it.
    """
    sampler = plan.sampler
    info = {"face_spec": spec_text, "sampler": sampler.kind, "hold_frames": sampler.hold_frames,
            "near_rest": sampler.near_rest, "settle": plan.settle, "seed": plan.seed,
            "episode_frames": plan.episode_frames, "software": software_versions()}
    same = {"sampler": sampler.kind, "near_rest": False}  # datasets made before near-rest babbling were not
    return record_dataset(spec, folder, plan, info=info, must_match=same, video=video, face_seed=plan.seed,
                          progress=progress, recovered=recovered)
