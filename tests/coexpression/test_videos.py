"""Reading a folder of expression clips through MediaPipe."""

import numpy as np
import pytest

from mirrorface.coexpression.videos import (
    expression_of,
    fill_missing,
    frame_rate,
    read_folder,
    resample,
)
from mirrorface.errors import DatasetError, MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.media import write_mp4


def _smile_clip(spec, frames: int = 40) -> list[np.ndarray]:
    """The simulated face at rest, then smiling with an open jaw, as a 25 fps clip."""
    face = Painter(spec, seed=0)
    moving = [spec.index_of(name) for name in ("corner_left_y", "corner_right_y", "jaw")]
    clip = []
    for t in range(frames):
        pose = spec.neutral.copy()
        amount = np.clip((t - 12) / 10, 0, 1)
        pose[moving] = pose[moving] + amount * (np.array([0.95, 0.95, 0.6]) - pose[moving])
        clip.append(face.render_pose(pose))
    return clip


@pytest.fixture(scope="module")
def folder(tmp_path_factory, emo26):
    root = tmp_path_factory.mktemp("clips")
    (root / "S001").mkdir()
    write_mp4(root / "S001" / "smile_1.mp4", _smile_clip(emo26), fps=25)
    write_mp4(root / "S001" / "blank.mp4", [np.zeros((64, 64, 3), np.uint8)] * 12, fps=25)  # no face at all
    (root / "S001" / "notes.txt").write_text("not a video")
    return root


def test_a_folder_of_clips_becomes_expression_videos(folder):
    videos = read_folder(folder)
    assert len(videos) == 1  # the faceless clip is skipped
    video = videos[0]
    assert (video.participant, video.video_id, video.expression, video.fps) == ("S001", "S001/smile_1.mp4",
                                                                                 "smile", 30.0)
    assert video.landmarks.shape == (47, 113, 2) and np.isfinite(video.landmarks).all()  # 1.56 s at 30 fps
    assert 12 <= video.onset_frame < video.apex_frame  # the smile starts at 12 / 25 s = frame 14 at 30 fps
    assert np.isnan(video.intensity)
    assert frame_rate(folder / "S001" / "smile_1.mp4") == pytest.approx(25.0)


def test_labels_override_file_names(folder):
    (folder / "labels.csv").write_text("video,expression\nS001/smile_1.mp4,happy\n")
    try:
        assert read_folder(folder)[0].expression == "happy"
    finally:
        (folder / "labels.csv").unlink()
    assert expression_of("S9/take-surprise-2.avi", {}) == "surprise"
    assert expression_of("S9/take-2.avi", {}) == "unknown"


def test_an_empty_or_missing_folder_is_refused(tmp_path):
    with pytest.raises(DatasetError):
        read_folder(tmp_path)
    with pytest.raises(DatasetError):
        read_folder(tmp_path / "nowhere")


def test_frames_without_a_face_are_filled_from_their_neighbours():
    landmarks = np.stack([np.full((113, 2), float(t)) for t in range(5)])
    landmarks[[0, 2]] = np.nan
    filled = fill_missing(landmarks)
    assert filled[:, 0, 0].tolist() == [1.0, 1.0, 2.0, 3.0, 4.0]
    with pytest.raises(MirrorfaceError):
        fill_missing(np.full((3, 113, 2), np.nan))


def test_resampling_keeps_the_time_course():
    landmarks = np.stack([np.full((113, 2), t / 25) for t in range(26)])  # value = time in s, 1 s at 25 fps
    at_30 = resample(landmarks, 25.0, 30.0)
    assert len(at_30) == 31
    assert np.allclose(at_30[:, 0, 0], np.arange(31) / 30, atol=1e-6)
