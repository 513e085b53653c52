"""Real expression videos: a folder of clips, one expression each (like MMI), through MediaPipe.

Layout (any depth below the participant folder; .mp4, .avi, .mov, .mkv, .webm):

    root/
      <participant>/<clip>.mp4        e.g. S001/smile_1.mp4, S001/take-03.avi
      labels.csv                      optional: video,expression (video = path relative to root)

A clip's expression comes from labels.csv, else from its file name when that contains one of
`synthetic.EXPRESSIONS` ("S001/happy-2.avi"), else it is "unknown". Every clip should start
from a calm face (the resting face is the mean of its first 5 frames). Landmarks are head-pose
normalised into the canonical frame (`perception.subset`), frames without a face are filled in
from their neighbours, and clips are resampled to `fps` so that they match the frame spacing
the model was trained with. The apex and onset are not known for real clips: `apex_frame` and
`onset_frame` are the peak detector's target and peak activation, `intensity` is NaN.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

from mirrorface.coexpression.peak import find_peak, smoothing_window
from mirrorface.coexpression.synthetic import EXPRESSIONS, ExpressionVideo
from mirrorface.data.video import read_frames
from mirrorface.errors import DatasetError, MirrorfaceError
from mirrorface.perception.subset import landmarks_of_frames

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
MAX_MISSING = 0.2  # a clip where MediaPipe misses the face in more frames than this is skipped


def frame_rate(path: str | Path) -> float:
    """The video's frame rate (frames per second)."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
    except (av.FFmpegError, OSError, IndexError) as err:
        raise DatasetError(f"cannot read the frame rate of {path}: {err}") from None
    if not rate:
        raise DatasetError(f"{path} does not state its frame rate")
    return float(rate)


def fill_missing(landmarks: np.ndarray) -> np.ndarray:
    """Frames of NaN (no face found) linearly interpolated from the nearest frames with a face."""
    found = np.isfinite(landmarks).all((1, 2))
    if not found.any():
        raise MirrorfaceError("no frame has a face")
    t = np.arange(len(landmarks))
    flat = landmarks.reshape(len(landmarks), -1)
    filled = np.stack([np.interp(t, t[found], column[found]) for column in flat.T], axis=1)
    return filled.reshape(landmarks.shape).astype(np.float32)


def resample(landmarks: np.ndarray, fps: float, to_fps: float) -> np.ndarray:
    """(T, ...) landmarks at `fps` -> the same span at `to_fps`, linearly interpolated."""
    if fps == to_fps:
        return landmarks
    t = np.arange(len(landmarks)) / fps
    wanted = np.arange(int(np.floor(t[-1] * to_fps)) + 1) / to_fps
    flat = landmarks.reshape(len(landmarks), -1)
    out = np.stack([np.interp(wanted, t, column) for column in flat.T], axis=1)
    return out.reshape(len(wanted), *landmarks.shape[1:]).astype(np.float32)


def expression_of(name: str, labels: dict[str, str]) -> str:
    """The labelled expression of a clip (path relative to root), else one named in it, else "unknown"."""
    if name in labels:
        return labels[name]
    lowered = Path(name).stem.lower()
    return next((e for e in EXPRESSIONS if e in lowered), "unknown")


def _labels(root: Path) -> dict[str, str]:
    path = root / "labels.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"video", "expression"} <= set(rows[0]):
        raise DatasetError(f"{path} needs the columns video,expression")
    return {row["video"]: row["expression"] for row in rows}


def read_video(path: str | Path, participant: str, video_id: str, expression: str = "unknown",
               fps: float = 30.0) -> ExpressionVideo:
    """One clip through MediaPipe into an ExpressionVideo (resampled to `fps`).

    Raises:
        MirrorfaceError: the clip cannot be read, is too short, or MediaPipe misses the face
            in more than MAX_MISSING of its frames.
    """
    raw = landmarks_of_frames(read_frames(path))
    if len(raw) == 0:
        raise DatasetError(f"{path} holds no frames")
    missing = float(np.mean(~np.isfinite(raw).all((1, 2))))
    if missing > MAX_MISSING:
        raise MirrorfaceError(f"{path}: no face found in {missing:.0%} of the frames")
    landmarks = resample(fill_missing(raw), frame_rate(path), fps)
    if len(landmarks) < smoothing_window(fps):
        raise MirrorfaceError(f"{path}: {len(landmarks)} frames is too short to find an expression's peak")
    peak = find_peak(landmarks, fps)
    return ExpressionVideo(participant, video_id, expression, fps, landmarks, peak.target_frame,
                           peak.activation_frame, float("nan"))


def read_folder(root: str | Path, fps: float = 30.0,
                progress: Callable[[int, int], None] | None = None) -> list[ExpressionVideo]:
    """Every clip under `root`, in sorted order; clips that cannot be used are logged and skipped.

    Args:
        root: one sub-folder per participant (see the module docstring).
        fps: the frame rate the landmarks are resampled to.
        progress: progress(done, total) after each clip.

    Raises:
        DatasetError: `root` is not a folder or holds no usable clip.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a folder of expression videos")
    labels = _labels(root)
    clips = sorted(p for p in root.glob("*/**/*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    videos = []
    for done, path in enumerate(clips, start=1):
        name = path.relative_to(root).as_posix()
        participant = path.relative_to(root).parts[0]
        try:
            videos.append(read_video(path, participant, name, expression_of(name, labels), fps))
        except MirrorfaceError as err:
            log.warning("skipping %s", err)
        if progress is not None:
            progress(done, len(clips))
    if not videos:
        raise DatasetError(f"no usable expression video under {root} (expected <participant>/<clip>.mp4)")
    return videos
