"""Where the coexpression loop sees a person: synthetic landmarks, a video file or a webcam.

A source answers `read(t)`: the person's newest landmarks at loop time t (113, 2), head-normalised,
or None when no face is visible, the clip they belong to (a new clip is a new person or a new
recording, so the loop relearns the resting face) and the frame's number (a loop that ticks faster
than the camera reads a frame more than once; `fps` says how many come a second). Camera and video
frames go through MediaPipe face mesh, once a frame; a live camera always gives its newest frame,
as a real loop would see it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import Camera
from mirrorface.perception.subset import subset


@dataclass(frozen=True)
class Observation:
    landmarks: np.ndarray | None  # (113, 2), or None: no face
    clip: int
    frame: int | None = None  # the camera frame's number in its clip: a tick that reads the same frame again has
    # nothing new to answer; None: every read is a new frame


def _aspect(frame: np.ndarray) -> float:
    return frame.shape[1] / frame.shape[0]


class SyntheticSource:
    """Generated expression videos (`synthetic.ExpressionVideo`s) played back to back, as a camera sees them.

    A camera frame reaches a program some time after the face was in it (exposure, read-out, the
    USB transfer, the driver's buffer: 50-100 ms for common webcams). Synthetic landmarks skip
    the camera and MediaPipe, so that delay is added here: at time t the loop gets the newest
    frame captured by t - latency_s.
    """

    def __init__(self, videos: list, latency_s: float = 0.067):
        if not videos:
            raise MirrorfaceError("a synthetic source needs at least one video")
        if latency_s < 0:
            raise MirrorfaceError(f"the camera latency cannot be negative, got {latency_s}")
        self.videos, self.latency_s = videos, latency_s
        self.fps = float(videos[0].fps)  # frames a second (the generators film at 30)
        lengths = [len(v.landmarks) / v.fps for v in videos]
        self.starts = np.concatenate([[0.0], np.cumsum(lengths)]).tolist()  # clip i plays from starts[i]
        self.duration = self.starts[-1]

    def read(self, t: float) -> Observation:
        captured = max(0.0, t - self.latency_s)
        clip = min(bisect.bisect_right(self.starts, captured) - 1, len(self.videos) - 1)
        video = self.videos[clip]
        frame = min(int((captured - self.starts[clip]) * video.fps + 1e-9), len(video.landmarks) - 1)
        return Observation(video.landmarks[frame], clip, frame)

    def close(self) -> None:
        pass


class _OncePerFrame:
    """MediaPipe on a source's frames, once a frame: a loop that ticks faster than its camera reads a frame
    more than once and gets the same observation back."""

    def __init__(self):
        from mirrorface.perception.landmarks import FaceMeshDetector

        self._detect = FaceMeshDetector(video=True)
        self._number, self._observation = None, Observation(None, 0)

    def __call__(self, frame: np.ndarray, number: int) -> Observation:
        if number != self._number:
            mesh = self._detect(frame)
            self._number = number
            self._observation = Observation(None if mesh is None else subset(mesh, aspect=_aspect(frame)), 0, number)
        return self._observation

    def close(self) -> None:
        self._detect.close()


class VideoSource:
    """A video file, played in loop time: at time t, the frame shown at t."""

    def __init__(self, path: Path | str):
        import av

        from mirrorface.data.video import count_frames, read_frames

        path = Path(path)
        if not path.is_file():
            raise MirrorfaceError(f"{path}: no such video")
        try:
            with av.open(str(path)) as container:
                self.fps = float(container.streams.video[0].average_rate or 30)
        except (av.error.FFmpegError, IndexError) as exc:
            raise MirrorfaceError(f"{path}: not a readable video ({exc})") from None
        n = count_frames(path)
        if n < 1:
            raise MirrorfaceError(f"{path}: the video has no frames")
        self.duration = n / self.fps
        self._frames = read_frames(path)
        self._index, self._frame = -1, None
        self._observe = _OncePerFrame()

    def read(self, t: float) -> Observation:
        wanted = int(t * self.fps + 1e-9)
        while self._index < wanted:
            frame = next(self._frames, None)
            if frame is None:
                break
            self._frame, self._index = frame, self._index + 1
        return Observation(None, 0) if self._frame is None else self._observe(self._frame, self._index)

    def close(self) -> None:
        self._observe.close()


class CameraSource:
    """A live camera (`webcam:0`, a device path or a stream URL) through the hardware layer's `OpenCVCamera`.

    Frames are grabbed in their own thread and only the newest is kept: a driver's queue (several
    frames on most webcams) would hand a loop that ticks slower than the camera ever older frames,
    each a frame period more of delay. MediaPipe runs once a frame, however fast the loop ticks.
    """

    def __init__(self, device: str, width: int = 640, height: int = 480):
        from mirrorface.hardware.camera import OpenCVCamera

        self._observe = _OncePerFrame()  # first: a camera already grabbing would be left running should this fail
        try:
            self._camera = OpenCVCamera(Camera(device=device, width=width, height=height)).start()
        except BaseException:
            self._observe.close()
            raise
        self.duration = float("inf")
        self.fps = self._camera.rate  # what the device says it delivers (most webcams: 30)

    def read(self, t: float) -> Observation:
        frame, _, number = self._camera.newest()
        return self._observe(frame, number)

    def close(self) -> None:
        self._camera.stop()
        self._observe.close()


def open_source(spec: str, *, participants: int = 3, seed: int = 0):
    """`synthetic`, `webcam:N` or a video path -> a source."""
    if spec == "synthetic":
        from mirrorface.coexpression.synthetic import generate

        return SyntheticSource(generate(participants, 4, seed=seed))
    if spec.startswith("webcam:"):
        device = spec.removeprefix("webcam:")
        return CameraSource(device)
    return VideoSource(spec)
