"""Synthesized speaking frames: the robot's own face showing the target mouth, frame by frame.

For the simulated face the mouth is painted by the simulator's painter (`Painter.render_mouth`) onto the
neutral face, on the face camera's frame clock; this is the Wav2Lip step of the lip-sync paper.

Rendering is the slow part of the speech front end, so chunks of frames are rendered by forked
processes (one per core) that inherit the face, a few chunks ahead of the caller: the caller's
own work on the frames (encoding a video, a VAE) overlaps the rendering, and memory stays
bounded on long speech. Frame k's camera noise is seeded by (seed, k), so the frames are the
same whichever process draws them. With a `window` only that rectangle of each frame is drawn
(the same pixels): the speech planner needs no more than its VAE's mouth crop.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from itertools import islice

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.face.sim.painter import Painter, Window
from mirrorface.targets.mouth import mouth_from_articulation

PARALLEL_FROM = 60  # frames; shorter tracks are not worth forking for
CHUNK = 24  # frames per task: small, so that the caller's work overlaps the rendering
AHEAD = 4  # tasks in flight per process, bounding what is rendered before the caller wants it

Finish = Callable[[np.ndarray], np.ndarray]  # applied to each frame where it is drawn (a resize, say)
_job: tuple[Painter, np.ndarray, Window | None, Finish | None] | None = None  # inherited by forked workers


def _frame(face: Painter, values: np.ndarray, k: int, window: Window | None, finish: Finish | None) -> np.ndarray:
    frame = face.render_mouth(mouth_from_articulation(values), frame_seed=k, window=window)
    return frame if finish is None else finish(frame)


def _plain_signals() -> None:
    """In a worker: the parent's Python signal handlers (a command's SIGTERM handler, Ctrl-C) are
    not the worker's. Ctrl-C is the parent's to handle, and the pool's `terminate` (SIGTERM) must
    end a worker at once: a handler that raises instead can leave it holding the task queue's lock,
    and the pool's other workers then wait for that lock forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _chunk(first: int) -> np.ndarray:
    """Frames first .. first + CHUNK of the job (in a worker)."""
    face, values, window, finish = _job
    return np.stack([_frame(face, values[k], k, window, finish) for k in range(first, min(first + CHUNK, len(values)))])


def speaking_frames(face: Painter, track: Track, workers: int | None = None, window: Window | None = None,
                    finish: Finish | None = None) -> Iterator[np.ndarray]:
    """One RGB frame per track frame: the face at rest, its mouth shaped by the track.

    Args:
        workers: processes to render with (default: one per CPU; 1 renders in this process).
        window: (x, y, w, h): render only this rectangle of each frame.
        finish: a function of each uint8 frame (or window) to yield instead of it, run by the
            rendering processes (the mouth crop's resize, say).
    """
    global _job
    workers = workers or os.cpu_count() or 1
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers == 1 or len(track) < PARALLEL_FROM or not forkable:
        for k, v in enumerate(track.values):
            yield _frame(face, v, k, window, finish)
        return
    _job = (face, track.values, window, finish)  # before the fork: the workers inherit it, nothing is pickled
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_plain_signals) as pool:
            starts = iter(range(0, len(track), CHUNK))
            pending = deque(pool.apply_async(_chunk, (s,)) for s in islice(starts, AHEAD * workers))
            while pending:
                chunk = pending.popleft().get()
                pending.extend(pool.apply_async(_chunk, (s,)) for s in islice(starts, 1))
                yield from chunk
    finally:
        _job = None
