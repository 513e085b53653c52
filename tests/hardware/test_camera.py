"""The OpenCV camera on real video files written by the project's own video writer."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from mirrorface.data.video import VideoWriter
from mirrorface.errors import DeviceError
from mirrorface.face.spec import Camera
from mirrorface.hardware.camera import OpenCVCamera


def index_of(frame: np.ndarray) -> int:
    """The frame number written into the right half's grey level."""
    return round((float(frame[:, frame.shape[1] * 3 // 4:].mean()) - 20) / 8)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """30 frames at 60 fps, 128 x 96: left half pure red, right half grey 20 + 8 * frame number."""
    path = tmp_path_factory.mktemp("camera") / "clip.mp4"
    with VideoWriter(path, fps=60, width=128, height=96) as writer:
        for k in range(30):
            frame = np.zeros((96, 128, 3), np.uint8)
            frame[:, :64] = (255, 0, 0)
            frame[:, 64:] = 20 + 8 * k
            writer.write(frame)
    return path


def test_frames_come_in_order_rgb_cropped_and_resized_with_rising_times(clip):
    with OpenCVCamera(Camera(device=str(clip), width=64, height=64)) as camera:
        frames = [camera.read() for _ in range(5)]
    indices = [index_of(f) for f, _ in frames]
    times = [t for _, t in frames]
    assert indices == sorted(set(indices)) and times == sorted(set(times))
    frame = frames[0][0]
    assert frame.shape == (64, 64, 3) and frame.dtype == np.uint8
    # 128 x 96 centre-cropped to 96 x 96 keeps a red stripe on the left, then grey
    assert frame[32, 2, 0] > 200 and frame[32, 2, 2] < 60


def test_read_returns_the_newest_frame_not_a_queue(clip):
    with OpenCVCamera(Camera(device=str(clip), width=64, height=64)) as camera:
        first, _ = camera.read()
        time.sleep(0.25)  # 15 frames are due meanwhile (60 fps)
        newest, _ = camera.read()
    assert index_of(newest) > index_of(first) + 1


def test_a_file_ends_and_says_so(clip):
    with OpenCVCamera(Camera(device=str(clip), width=64, height=64)) as camera:
        seen = []
        with pytest.raises(DeviceError, match="the video ended"):
            while True:
                seen.append(index_of(camera.read()[0]))
    assert seen[-1] == 29 and seen == sorted(seen)


def test_a_looping_file_starts_again(clip):
    with OpenCVCamera(Camera(device=str(clip), width=64, height=64, loop=True)) as camera:
        seen = [index_of(camera.read()[0]) for _ in range(45)]
    assert any(b < a for a, b in zip(seen, seen[1:], strict=False))  # wrapped round to the start


def test_a_missing_source_is_one_clear_error(tmp_path):
    with pytest.raises(DeviceError, match="cannot be opened"):
        OpenCVCamera(Camera(device=str(tmp_path / "none.mp4"))).start()
    with pytest.raises(DeviceError, match="no `device`"):
        OpenCVCamera(Camera())


def test_stop_is_clean(clip):
    camera = OpenCVCamera(Camera(device=str(clip), width=64, height=64)).start()
    camera.stop()
    camera.stop()
    with pytest.raises(DeviceError, match="stopped"):
        camera.read()


def test_newest_never_waits_and_repeats_a_frame_until_a_newer_one_comes(clip):
    with OpenCVCamera(Camera(device=str(clip), width=64, height=64)) as camera:
        started = time.monotonic()
        a, b = camera.newest(), camera.newest()
        quick = time.monotonic() - started
        time.sleep(0.25)  # 15 frames are due meanwhile (60 fps)
        later = camera.newest()
    assert quick < 0.01  # a frame lasts 17 ms: the second call did not wait for the next one
    assert b[2] == a[2] and index_of(b[0]) == index_of(a[0])
    assert later[2] > a[2] + 1 and index_of(later[0]) > index_of(a[0]) + 1
    with pytest.raises(DeviceError, match="stopped"):
        camera.newest()
    assert camera.rate == 60.0  # the file's own rate, not the 30 asked for



def test_a_device_is_asked_for_the_frame_size_and_rate(monkeypatch):
    asked = {}

    class Webcam:  # as OpenCV shows one: it remembers what it was asked and gives 1280 x 720 anyway
        def __init__(self, source):
            pass

        def isOpened(self):
            return True

        def set(self, prop, value):
            asked[prop] = value
            return True

        def get(self, prop):
            return 30.0

        def read(self):
            time.sleep(0.01)
            return True, np.zeros((720, 1280, 3), np.uint8)

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", Webcam)
    with OpenCVCamera(Camera(device="0", width=640, height=480, fps=25)) as camera:
        frame, _ = camera.read()
    assert asked[cv2.CAP_PROP_FRAME_WIDTH] == 640 and asked[cv2.CAP_PROP_FRAME_HEIGHT] == 480
    assert asked[cv2.CAP_PROP_FPS] == 25
    assert frame.shape == (480, 640, 3)  # a device that ignores the size asked for is still cropped to it
