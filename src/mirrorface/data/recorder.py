"""Record a babbling dataset: sampler -> safety layer -> face -> camera -> MediaPipe -> dataset.

Two stages overlap on two cores: a producer thread steps the face and grabs frames, while the
calling thread runs MediaPipe (which releases the GIL) and writes the dataset. The writer
flushes every second, so an interrupt loses at most about a second; rerunning resumes with
the next episode. Episode e always babbles with the generator seeded by (seed, e), so a run's
commands do not depend on how often it was interrupted.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mirrorface.data.babbling import Sampler
from mirrorface.data.writer import DatasetWriter
from mirrorface.hardware.face import Face
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
