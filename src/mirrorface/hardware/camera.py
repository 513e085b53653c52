"""The robot's own camera through OpenCV, read in its own thread, newest frame first.

A grabber thread reads frames as the source delivers them and keeps only the newest, stamped
with `time.monotonic()` when it arrived; `read` hands out that frame, waiting only when the
caller has already had it. So a slow consumer skips frames instead of falling behind a queue,
and every frame's age is known. The source is anything OpenCV opens: a camera index, a device
path, a video file (played at its own frame rate, optionally looping, so a recorded clip stands in
for a camera) or a stream URL. Frames come out RGB, centre-cropped to the spec's aspect ratio and
resized to its width x height, as the simulator's camera delivers them.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from mirrorface.errors import DeviceError
from mirrorface.face.spec import Camera


def _capture_source(source: str) -> str | int:
    return int(source) if source.isdigit() else source


class OpenCVCamera:
    """The camera a spec's `[camera]` section names; `with OpenCVCamera(spec.camera) as camera:`.

    `device` is "0" (an index), "/dev/video2", "clip.mp4" or "rtsp://host/stream"; frames come out
    `width` x `height`; that size and `fps` are asked of a device (it may not comply), while a file
    plays at its own rate; `loop` starts a file again at its end instead of ending.
    """

    def __init__(self, camera: Camera):
        if camera.device is None:
            raise DeviceError("[camera] has no `device` (an index such as \"0\", /dev/videoN, a video file or a URL)")
        self.source, self.width, self.height = camera.device, camera.width, camera.height
        self.fps, self.loop = camera.fps, camera.loop
        self.rate = camera.fps  # frames a second it delivers, once started: a file's own, what a device reports
        self.is_file = Path(self.source).is_file() and not self.source.startswith("/dev/")
        self._capture: cv2.VideoCapture | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._fresh = threading.Condition()
        self._frame: np.ndarray | None = None
        self._time = 0.0
        self._count = 0  # frames grabbed so far
        self._handed = 0  # the count of the last frame `read` returned
        self._ended: str | None = None  # why no more frames will come

    def start(self) -> OpenCVCamera:
        capture = cv2.VideoCapture(_capture_source(self.source))
        if not capture.isOpened():
            raise DeviceError(f"camera {self.source!r} cannot be opened (no such device, file or stream, "
                              "or it is in use)")
        if not self.is_file:
            # Ask for the frame size too: a 16:9 webcam left at its default would lose its sides to
            # the crop, and one left at its largest size costs decode time for pixels thrown away.
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            capture.set(cv2.CAP_PROP_FPS, self.fps)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the driver's own queue would make frames stale
        ok, first = capture.read()
        if not ok:
            capture.release()
            raise DeviceError(f"camera {self.source!r} opened but delivers no frames")
        self._capture = capture
        delivered = capture.get(cv2.CAP_PROP_FPS)  # a file's own rate; what a device says it gives (0: unknown)
        self.rate = delivered if delivered > 0 else self.fps
        self._publish(first)
        self._thread = threading.Thread(target=self._grab, name=f"camera {self.source}", daemon=True)
        self._thread.start()
        return self

    def _fit(self, bgr: np.ndarray) -> np.ndarray:
        """Centre-crop to the target aspect ratio, resize, BGR -> RGB."""
        h, w = bgr.shape[:2]
        if w * self.height > h * self.width:  # too wide
            keep = round(h * self.width / self.height)
            bgr = bgr[:, (w - keep) // 2:(w - keep) // 2 + keep]
        else:
            keep = round(w * self.height / self.width)
            bgr = bgr[(h - keep) // 2:(h - keep) // 2 + keep]
        if bgr.shape[:2] != (self.height, self.width):
            bgr = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def _publish(self, bgr: np.ndarray) -> None:
        frame = self._fit(bgr)
        with self._fresh:
            self._frame, self._time = frame, time.monotonic()
            self._count += 1
            self._fresh.notify_all()

    def _end(self, why: str) -> None:
        with self._fresh:
            self._ended = self._ended or why
            self._fresh.notify_all()

    def _grab(self) -> None:
        capture = self._capture
        period = 1.0 / self.rate
        due = time.monotonic()
        while not self._stop.is_set():
            ok, bgr = capture.read()
            if not ok and self.is_file and self.loop:
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, bgr = capture.read()
            if not ok:
                self._end("the video ended" if self.is_file else "it stopped delivering frames")
                return
            if self.is_file:  # a file arrives at its frame rate, like a camera, not as fast as it decodes
                due += period
                self._stop.wait(max(0.0, due - time.monotonic()))
            self._publish(bgr)

    def read(self, timeout_s: float = 1.0) -> tuple[np.ndarray, float]:
        """The newest frame (H, W, 3) uint8 RGB and its `time.monotonic()` arrival time.

        Never the same frame twice: waits up to `timeout_s` for one newer than the last returned.
        """
        with self._fresh:
            if self._stop.is_set():
                raise DeviceError(f"camera {self.source!r} was stopped")
            if self._thread is None:
                raise DeviceError(f"camera {self.source!r} is not started")
            if not self._fresh.wait_for(lambda: self._count > self._handed or self._ended, timeout_s):
                raise DeviceError(f"camera {self.source!r}: no new frame for {timeout_s:g} s")
            if self._count == self._handed:
                raise DeviceError(f"camera {self.source!r}: {self._ended}")
            self._handed = self._count
            return self._frame, self._time

    def newest(self) -> tuple[np.ndarray, float, int]:
        """The newest frame, its arrival time and its number (frames grabbed so far), without waiting: the same
        frame again until a newer one has come. For a loop that ticks faster than the camera delivers, and must
        not stall on it; `read` is for a consumer that wants each frame once."""
        with self._fresh:
            if self._stop.is_set():
                raise DeviceError(f"camera {self.source!r} was stopped")
            if self._thread is None:
                raise DeviceError(f"camera {self.source!r} is not started")
            if self._ended:
                raise DeviceError(f"camera {self.source!r}: {self._ended}")
            return self._frame, self._time, self._count

    def stop(self) -> None:
        """Stop the grabber and release the source (safe to call twice)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def __enter__(self) -> OpenCVCamera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
