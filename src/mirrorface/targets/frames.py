"""Synthesized speaking frames: the robot's own face showing the target mouth, frame by frame.

For the simulated face the mouth is painted by the renderer (`SimFace.render_mouth`) onto the
neutral face, on the face camera's frame clock; this is the Wav2Lip step of the lip-sync paper.

Rendering is the slow part of the speech front end, so blocks of frames are split over forked
processes (one per core) that inherit the face and write into one shared buffer: nothing is
pickled and no face is rebuilt. Frame k's camera noise is seeded by (seed, k), so the frames are
the same whichever process draws them.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
from collections.abc import Iterator

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.hardware.sim import SimFace
from mirrorface.targets.mouth import mouth_from_articulation

PARALLEL_FROM = 60  # frames; shorter tracks are not worth forking for
BLOCK = 240  # frames per shared buffer (about 47 MB at 256 x 256), bounding memory on long speech

_job: tuple[SimFace, np.ndarray, np.ndarray, int] | None = None  # inherited by forked workers


def _render_into(out: np.ndarray, face: SimFace, values: np.ndarray, first: int) -> None:
    for k, v in enumerate(values):
        out[k] = face.render_mouth(mouth_from_articulation(v), frame_seed=first + k)


def _worker(a: int, b: int) -> None:
    face, values, out, first = _job
    _render_into(out[a:b], face, values[a:b], first + a)


def _render_block(face: SimFace, values: np.ndarray, first: int, workers: int) -> np.ndarray:
    global _job
    h, w = face.spec.camera.height, face.spec.camera.width
    shared = mmap.mmap(-1, len(values) * h * w * 3)  # anonymous and shared with forked children
    out = np.frombuffer(shared, np.uint8).reshape(len(values), h, w, 3)
    _job = (face, values, out, first)
    bounds = np.linspace(0, len(values), workers + 1).astype(int)
    fork = multiprocessing.get_context("fork")
    procs = [fork.Process(target=_worker, args=(a, b)) for a, b in zip(bounds[1:-1], bounds[2:], strict=True)]
    for p in procs:
        p.start()
    try:
        _render_into(out[: bounds[1]], face, values[: bounds[1]], first)  # this process does a share
    finally:
        for p in procs:
            p.join()
        _job = None
    if any(p.exitcode != 0 for p in procs):
        raise RuntimeError("a frame-rendering process failed")
    return out  # views of `out` keep the shared buffer alive for as long as they are used


def speaking_frames(face: SimFace, track: Track, workers: int | None = None) -> Iterator[np.ndarray]:
    """One RGB frame per track frame: the face at rest, its mouth shaped by the track.

    Args:
        workers: processes to render with (default: one per CPU; 1 renders in this process).
    """
    workers = workers or os.cpu_count() or 1
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers == 1 or len(track) < PARALLEL_FROM or not forkable:
        for k, v in enumerate(track.values):
            yield face.render_mouth(mouth_from_articulation(v), frame_seed=k)
        return
    for first in range(0, len(track), BLOCK):
        yield from _render_block(face, track.values[first : first + BLOCK], first, workers)
