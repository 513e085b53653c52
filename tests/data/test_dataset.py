"""Dataset: reading frames and columns back, and clear errors for missing or corrupt data."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mirrorface.constants import (
    ACTION,
    EPISODE_INDEX,
    FACE_DETECTED,
    FRAME_INDEX,
    INDEX,
    LANDMARKS,
    STATE,
    TIMESTAMP,
)
from mirrorface.data.dataset import Dataset
from mirrorface.data.writer import DatasetWriter
from mirrorface.errors import DatasetError

FPS = 10
LENGTHS = (14, 9)


def frame(i: int) -> np.ndarray:
    y, x = np.mgrid[0:64, 0:48]
    img = np.stack([x * 3 + i, y * 3, np.full_like(x, (i * 37) % 256)], -1)
    return img.clip(0, 255).astype(np.uint8)


def make(root, lengths=LENGTHS) -> DatasetWriter:
    """Episodes of the given lengths; frame i of the dataset shows frame(i), action i/100."""
    writer = DatasetWriter(root, fps=FPS, n_actuators=2, actuator_names=["jaw", "lip"],
                           image_size=(64, 48))
    i = 0
    for length in lengths:
        writer.start_episode()
        for k in range(length):
            marks = np.arange(468 * 3, dtype=np.float32).reshape(468, 3) + i
            writer.add_frame(timestamp=k / FPS, action=np.array([i / 100, 0.5]),
                             state=np.array([0.25, i / 200]),
                             landmarks=None if i % 5 == 0 else marks, image=frame(i))
            i += 1
        writer.end_episode()
    return writer


@pytest.fixture
def root(tmp_path):
    make(tmp_path).close()
    return tmp_path


def test_columns_round_trip(root):
    dataset = Dataset(root)
    n = sum(LENGTHS)
    assert len(dataset) == n and dataset.fps == FPS and len(dataset.episodes) == 2
    assert dataset.table().num_rows == n
    action = dataset.array(ACTION)
    assert action.shape == (n, 2) and action.dtype == np.float32
    np.testing.assert_allclose(action[:, 0], np.arange(n) / 100, rtol=1e-6)
    np.testing.assert_allclose(dataset.array(STATE)[:, 1], np.arange(n) / 200, rtol=1e-6)
    marks, detected = dataset.array(LANDMARKS), dataset.array(FACE_DETECTED)
    assert marks.shape == (n, 468, 3) and detected.dtype == bool
    assert detected.tolist() == [i % 5 != 0 for i in range(n)]
    assert np.isnan(marks[~detected]).all() and marks[7, 1, 0] == 3 + 7
    assert dataset.array(INDEX).tolist() == list(range(n))
    assert dataset.array(EPISODE_INDEX).tolist() == [0] * LENGTHS[0] + [1] * LENGTHS[1]
    assert dataset.array(FRAME_INDEX).tolist() == list(range(LENGTHS[0])) + list(range(LENGTHS[1]))
    assert dataset.array(TIMESTAMP).shape == (n,) and dataset.array(TIMESTAMP)[LENGTHS[0]] == 0


def test_frames_and_images_round_trip(root):
    dataset = Dataset(root)
    second = list(dataset.frames(1))
    assert len(second) == LENGTHS[1] and second[0].shape == (64, 48, 3)
    for k, image in enumerate(second):
        assert np.abs(image.astype(int) - frame(LENGTHS[0] + k)).mean() < 2.0
    assert np.array_equal(dataset.image(LENGTHS[0] + 3), second[3])
    assert np.abs(dataset.image(12).astype(int) - frame(12)).mean() < 2.0
    with pytest.raises(IndexError):
        dataset.image(sum(LENGTHS))
    with pytest.raises(DatasetError, match="no finished episode 5"):
        list(dataset.frames(5))
    with pytest.raises(DatasetError, match="no column"):
        dataset.array("observation.nothing")


def test_unfinished_episode_is_invisible_to_readers(tmp_path):
    writer = make(tmp_path, lengths=(6,))
    writer.start_episode()
    for i in range(25):  # two journal batches on disk, not yet an episode
        writer.add_frame(timestamp=i, action=np.zeros(2), state=np.zeros(2), landmarks=None,
                         image=frame(i))
    dataset = Dataset(tmp_path)
    assert len(dataset) == 6 and len(dataset.array(ACTION)) == 6
    writer.close()
    assert len(Dataset(tmp_path)) == 31


def test_empty_dataset(tmp_path):
    DatasetWriter(tmp_path, fps=FPS, n_actuators=2, actuator_names=["a", "b"],
                  image_size=(64, 48)).close()
    dataset = Dataset(tmp_path)
    assert len(dataset) == 0 and dataset.array(ACTION).shape == (0, 2)


def test_missing_dataset(tmp_path):
    with pytest.raises(DatasetError, match=f"no dataset at {tmp_path / 'nothing'}"):
        Dataset(tmp_path / "nothing")


@pytest.mark.parametrize(("damage", "message"), [
    (lambda r: (r / "meta/info.json").write_text("{not json"), "info.json"),
    (lambda r: (r / "meta/info.json").write_text('{"fps": 10}'), "lacks features"),
    (lambda r: (r / "meta/episodes.jsonl").write_text("garbage\n{}\n"), "line 1"),
    (lambda r: (r / "data/chunk-000/episode_000001.parquet").unlink(), "episode_000001"),
    (lambda r: (r / "data/chunk-000/episode_000000.parquet").write_bytes(b"PAR1 broken"), "cannot read"),
    (lambda r: shutil.copy(r / "data/chunk-000/episode_000001.parquet", r / "data/chunk-000/episode_000000.parquet"),
     "rows"),
])
def test_corrupt_dataset(root, damage, message):
    damage(root)
    with pytest.raises(DatasetError, match=message) as err:
        Dataset(root)
    assert str(root) in str(err.value) and "\n" not in str(err.value)


def test_corrupt_video_found_when_read(root):
    video = root / "videos/chunk-000/observation.images.camera/episode_000001.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    with pytest.raises(DatasetError, match="episode 1 has images for"):
        list(Dataset(root).frames(1))
