"""Synthesized speaking frames: the robot's own face showing the target mouth, frame by frame.

For the simulated face the mouth is painted by the renderer (`SimFace.render_mouth`) onto the
neutral face, on the face camera's frame clock; this is the Wav2Lip step of the lip-sync paper.

Rendering is the slow part of the speech front end, so blocks of frames are split over forked
processes (one per core) that inherit the face and write into one shared buffer: nothing is
pickled and no face is rebuilt. Frame k's camera noise is seeded by (seed, k), so the frames are
the same whichever process draws them. With a `window` only that rectangle of each frame is
drawn (the same pixels): the speech planner needs no more than its VAE's mouth crop.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
from collections.abc import Callable, Iterator

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.hardware.sim import SimFace
from mirrorface.targets.mouth import mouth_from_articulation

PARALLEL_FROM = 60  # frames; shorter tracks are not worth forking for
BLOCK_BYTES = 48 << 20  # one shared buffer (240 whole frames at 256 x 256), bounding memory on long speech

Window = tuple[int, int, int, int]  # x, y, width, height in pixels
Finish = Callable[[np.ndarray], np.ndarray]  # applied to each frame where it is drawn (a resize, say)
_job: tuple[SimFace, np.ndarray, np.ndarray, int, Window | None, Finish | None] | None = None  # for forked workers


def _frame(face: SimFace, values: np.ndarray, k: int, window: Window | None, finish: Finish | None) -> np.ndarray:
    frame = face.render_mouth(mouth_from_articulation(values), frame_seed=k, window=window)
    return frame if finish is None else finish(frame)


def _render_into(out: np.ndarray, face: SimFace, values: np.ndarray, first: int, window: Window | None,
                 finish: Finish | None) -> None:
    for k, v in enumerate(values):
        out[k] = _frame(face, v, first + k, window, finish)


def _worker(a: int, b: int) -> None:
    face, values, out, first, window, finish = _job
    _render_into(out[a:b], face, values[a:b], first + a, window, finish)


def _render_block(face: SimFace, values: np.ndarray, first: int, workers: int, shape: tuple[int, ...],
                  window: Window | None, finish: Finish | None) -> np.ndarray:
    global _job
    shared = mmap.mmap(-1, len(values) * int(np.prod(shape)))  # anonymous and shared with forked children
    out = np.frombuffer(shared, np.uint8).reshape(len(values), *shape)
    _job = (face, values, out, first, window, finish)
    bounds = np.linspace(0, len(values), workers + 1).astype(int)
    fork = multiprocessing.get_context("fork")
    procs = [fork.Process(target=_worker, args=(a, b)) for a, b in zip(bounds[1:-1], bounds[2:], strict=True)]
    for p in procs:
        p.start()
    try:
        _render_into(out[: bounds[1]], face, values[: bounds[1]], first, window, finish)  # this process's share
    finally:
        for p in procs:
            p.join()
        _job = None
    if any(p.exitcode != 0 for p in procs):
        raise RuntimeError("a frame-rendering process failed")
    return out  # views of `out` keep the shared buffer alive for as long as they are used


def speaking_frames(face: SimFace, track: Track, workers: int | None = None, window: Window | None = None,
                    finish: Finish | None = None) -> Iterator[np.ndarray]:
    """One RGB frame per track frame: the face at rest, its mouth shaped by the track.

    Args:
        workers: processes to render with (default: one per CPU; 1 renders in this process).
        window: (x, y, w, h): render only this rectangle of each frame.
        finish: a function of each uint8 frame (or window) to yield instead of it, run by the
            rendering processes (the mouth crop's resize, say).
    """
    workers = workers or os.cpu_count() or 1
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers == 1 or len(track) < PARALLEL_FROM or not forkable:
        for k, v in enumerate(track.values):
            yield _frame(face, v, k, window, finish)
        return
    _, _, w, h = window or (0, 0, face.spec.camera.width, face.spec.camera.height)
    shape = (h, w, 3) if finish is None else finish(np.zeros((h, w, 3), np.uint8)).shape
    block = max(1, BLOCK_BYTES // int(np.prod(shape)))
    for first in range(0, len(track), block):
        yield from _render_block(face, track.values[first : first + block], first, workers, shape, window, finish)
