"""Where the loop sees a person: the live camera and a video file each run MediaPipe once a frame."""

from __future__ import annotations

import time

import numpy as np
import pytest

from mirrorface.coexpression.sources import CameraSource, VideoSource, open_source
from mirrorface.errors import DeviceError
from mirrorface.face.sim.painter import Painter
from mirrorface.media import write_mp4

FPS = 10  # slow frames, so that many ticks fall within one


@pytest.fixture(scope="module")
def clip(tmp_path_factory, emo26):
    """The simulated face, its jaw opening, 10 frames at 10 fps."""
    face, jaw = Painter(emo26, seed=0), emo26.index_of("jaw")
    frames = []
    for k in range(10):
        pose = emo26.neutral.copy()
        pose[jaw] += k / 9 * (0.7 - pose[jaw])
        frames.append(face.render_pose(pose))
    path = tmp_path_factory.mktemp("sources") / "jaw.mp4"
    write_mp4(path, frames, fps=FPS)
    return path


class Counting:
    """Wraps a detector, counting the frames it is given."""

    def __init__(self, detect):
        self.detect, self.calls = detect, 0

    def __call__(self, frame):
        self.calls += 1
        return self.detect(frame)

    def close(self):
        self.detect.close()


def test_a_video_runs_mediapipe_once_a_frame_however_fast_the_loop_ticks(clip):
    source = VideoSource(clip)
    source._observe._detect = Counting(source._observe._detect)
    try:
        seen = [source.read(k / 100) for k in range(100)]  # 100 Hz ticks over 10 frames at 10 fps
    finally:
        source.close()
    assert source._observe._detect.calls == 10
    assert all(o.landmarks is not None and o.landmarks.shape == (113, 2) for o in seen)
    mouth = [float(np.ptp(o.landmarks[:, 1])) for o in seen[::10]]  # the face grows taller as the jaw opens
    assert mouth[-1] > mouth[0]


def test_a_live_camera_gives_its_newest_frame_and_detects_it_once(clip):
    source = CameraSource(str(clip))  # a file stands in for a camera: it delivers at its frame rate
    source._observe._detect = Counting(source._observe._detect)
    try:
        first = source.read(0.0)
        again = [source.read(0.0) for _ in range(20)]  # faster than the camera's frames come
        repeats = source._observe._detect.calls
        time.sleep(0.45)  # 4-5 frames are due meanwhile
        later = source.read(0.5)
    finally:
        source.close()
    assert first.landmarks is not None and first.landmarks.shape == (113, 2) and source.fps == FPS
    assert repeats <= 2  # the 20 reads saw at most one new frame: the others gave the last one's landmarks
    assert sum(o is not first for o in again) <= 1
    assert source._observe._detect.calls == repeats + 1  # frames grabbed meanwhile are skipped, not queued
    assert float(np.ptp(later.landmarks[:, 1])) > float(np.ptp(first.landmarks[:, 1]))


def test_a_camera_that_cannot_be_opened_is_one_clear_error():
    with pytest.raises(DeviceError, match="cannot be opened"):
        open_source("webcam:/dev/nosuchcamera")
