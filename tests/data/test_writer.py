"""DatasetWriter: layout, append and resume, and surviving exceptions, crashes and kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mirrorface.constants import ACTION, FACE_DETECTED, INDEX, LANDMARKS, STATE
from mirrorface.data.dataset import Dataset
from mirrorface.data.video import count_frames
from mirrorface.data.writer import DatasetWriter
from mirrorface.errors import DatasetError

FPS = 10
NAMES = ["jaw", "lip_upper", "lip_lower"]
VIDEO = "videos/chunk-000/observation.images.camera/episode_{:06d}.mp4"
DATA = "data/chunk-000/episode_{:06d}.parquet"


def frame(i: int) -> np.ndarray:
    y, x = np.mgrid[0:64, 0:64]
    img = np.stack([x * 3 + i % 60, y * 3, np.full_like(x, (i * 37) % 256)], -1)
    return img.clip(0, 255).astype(np.uint8)


def open_writer(root, **changes) -> DatasetWriter:
    args = dict(fps=FPS, n_actuators=3, actuator_names=NAMES, image_size=(64, 64),
                extra_info={"face": "lips10 spec text", "seed": 7})
    return DatasetWriter(root, **{**args, **changes})


def add(writer: DatasetWriter, i: int, face: bool = True) -> None:
    writer.add_frame(timestamp=i / FPS, action=np.full(3, i / 1000), state=np.full(3, i / 2000),
                     landmarks=np.full((468, 3), i, np.float32) if face else None, image=frame(i))


def test_layout_info_and_episode_lines(tmp_path):
    with open_writer(tmp_path) as writer:
        assert writer.start_episode() == 0
        for i in range(12):
            add(writer, i, face=i % 4 != 0)
        assert writer.total_frames == 12 and writer.n_episodes == 0
    info = json.loads((tmp_path / "meta/info.json").read_text())
    assert info["fps"] == FPS and info["total_frames"] == 12 and info["total_episodes"] == 1
    assert info["face"] == "lips10 spec text" and info["seed"] == 7
    assert info["features"][ACTION]["shape"] == [3] and info["features"][ACTION]["names"] == NAMES
    assert info["features"]["observation.images.camera"]["dtype"] == "video"
    lines = (tmp_path / "meta/episodes.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in lines] == [{"episode_index": 0, "length": 12,
                                              "recovered": False}]
    table = pq.read_table(tmp_path / DATA.format(0))
    assert table.schema.field(LANDMARKS).type == pa.list_(pa.float32(), 1404)
    assert table.schema.field(ACTION).type == pa.list_(pa.float32(), 3)
    assert table.column(FACE_DETECTED).to_pylist() == [i % 4 != 0 for i in range(12)]
    no_face = table.column(LANDMARKS)[0].values.to_numpy()
    assert np.isnan(no_face).all()
    assert not list(tmp_path.rglob("*.arrows")) and not list(tmp_path.rglob("*.tmp"))
    assert count_frames(tmp_path / VIDEO.format(0)) == 12


def record_episodes(root, episodes, frames):
    with open_writer(root) as writer:
        for _ in range(episodes):
            writer.start_episode()
            for i in range(frames):
                add(writer, i)


def test_append_and_resume_continue_numbering(tmp_path):
    record_episodes(tmp_path, 2, 7)
    with open_writer(tmp_path) as writer:
        assert writer.n_episodes == 2 and writer.total_frames == 14
        assert writer.recovered_frames == 0
        assert writer.start_episode() == 2
        for i in range(5):
            add(writer, i)
        assert writer.total_frames == 19
    dataset = Dataset(tmp_path)
    assert len(dataset) == 19 and [e["episode_index"] for e in dataset.episodes] == [0, 1, 2]
    assert dataset.array(INDEX).tolist() == list(range(19))


def test_exception_inside_with_keeps_the_frames(tmp_path):
    with pytest.raises(RuntimeError, match="boom"), open_writer(tmp_path) as writer:
        writer.start_episode()
        for i in range(13):
            add(writer, i)
        raise RuntimeError("boom")
    dataset = Dataset(tmp_path)
    assert len(dataset) == 13 and dataset.episodes[0]["recovered"] is False
    assert len(list(dataset.frames(0))) == 13


def test_bad_frames_are_refused_before_anything_is_written(tmp_path):
    with open_writer(tmp_path) as writer:
        add(writer, 0)  # starts an episode by itself
        with pytest.raises(ValueError, match="3 values"):
            writer.add_frame(timestamp=0.1, action=np.zeros(4), state=np.zeros(3),
                             landmarks=None, image=frame(1))
        with pytest.raises(ValueError, match="uint8"):
            writer.add_frame(timestamp=0.1, action=np.zeros(3), state=np.zeros(3),
                             landmarks=None, image=np.zeros((64, 32, 3), np.uint8))
        with pytest.raises(ValueError, match="landmarks"):
            writer.add_frame(timestamp=0.1, action=np.zeros(3), state=np.zeros(3),
                             landmarks=np.zeros((10, 3)), image=frame(1))
        assert writer.total_frames == 1
    assert len(Dataset(tmp_path)) == 1 and count_frames(tmp_path / VIDEO.format(0)) == 1


KILLED_RECORDER = textwrap.dedent("""
    import sys
    import numpy as np
    from mirrorface.data.writer import DatasetWriter
    writer = DatasetWriter(sys.argv[1], fps=10, n_actuators=3, actuator_names=["a", "b", "c"],
                           image_size=(64, 64), video=sys.argv[2] == "video")
    writer.start_episode()
    y, x = np.mgrid[0:64, 0:64]
    i = 0
    while True:
        img = np.stack([x * 3 + i % 60, y * 3, np.full_like(x, (i * 37) % 256)], -1)
        writer.add_frame(timestamp=i / 10, action=np.full(3, i / 1000), state=np.zeros(3),
                         landmarks=None, image=img.clip(0, 255).astype(np.uint8))
        i += 1
        print(i, flush=True)
""")


@pytest.mark.parametrize(("video", "kill_after"), [("video", 4 * FPS + 3), ("video", 5 * FPS),
                                                  ("png", 4 * FPS + 3)])
def test_killed_recorder_loses_at_most_a_second(tmp_path, video, kill_after):
    child = subprocess.Popen([sys.executable, "-c", KILLED_RECORDER, str(tmp_path), video],
                             stdout=subprocess.PIPE, text=True)
    written = 0
    for line in child.stdout:
        written = int(line)
        if written >= kill_after:  # a few seconds' worth, mid-second or just after one
            break
    os.kill(child.pid, signal.SIGKILL)
    written = max([written] + [int(x) for x in child.stdout.read().split()])
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert list(tmp_path.rglob("*.arrows"))  # the episode was really left unfinished

    assert len(Dataset(tmp_path)) == 0  # a reader opens it, without the unfinished episode

    with open_writer(tmp_path, actuator_names=["a", "b", "c"], extra_info=None,
                     video=video == "video") as writer:
        assert writer.recovered_frames >= written - FPS
        assert writer.n_episodes == 1 and writer.total_frames == writer.recovered_frames
        assert writer.start_episode() == 1
        add(writer, 0)
    dataset = Dataset(tmp_path)
    kept = dataset.episodes[0]["length"]
    assert dataset.episodes[0]["recovered"] is True and kept == writer.recovered_frames
    assert len(dataset) == kept + 1 and dataset.array(INDEX).tolist() == list(range(kept + 1))
    np.testing.assert_allclose(dataset.array(ACTION)[:kept, 0], np.arange(kept) / 1000)
    images = list(dataset.frames(0))
    assert len(images) == kept
    assert np.abs(images[-1].astype(int) - frame(kept - 1)).mean() < 2.0
    if video == "video":
        assert count_frames(tmp_path / VIDEO.format(0)) == kept  # cut to the rows, not just to whole boxes


def test_recovery_takes_the_shorter_of_journal_and_video(tmp_path):
    writer = open_writer(tmp_path)
    writer.start_episode()
    for i in range(35):
        add(writer, i)
    writer._current.journal.flush()  # the state a kill -9 would leave (3 full batches)
    video = tmp_path / VIDEO.format(0)
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 3])  # video cut to ~1/3
    frames_left = count_frames(video)
    writer._lock.close()  # the killed process's lock dies with it
    with open_writer(tmp_path) as resumed:
        assert resumed.recovered_frames == frames_left < 30
    dataset = Dataset(tmp_path)
    assert len(dataset) == frames_left == len(list(dataset.frames(0)))
    assert not list(tmp_path.rglob("*.arrows"))


def test_half_written_batch_and_empty_episode(tmp_path):
    writer = open_writer(tmp_path)
    writer.start_episode()
    for i in range(25):
        add(writer, i)
    writer._flush(writer._current)  # rows 20-24 go out as a 4th batch, then get cut in half
    journal = next(tmp_path.rglob("*.arrows"))
    journal.write_bytes(journal.read_bytes()[:-300])
    writer._lock.close()
    with open_writer(tmp_path) as resumed:
        assert resumed.recovered_frames == 20
        resumed.start_episode()  # an episode with no frame leaves nothing behind
    assert Dataset(tmp_path).episodes == [{"episode_index": 0, "length": 20, "recovered": True}]
    assert not (tmp_path / VIDEO.format(1)).exists() and not list(tmp_path.rglob("*.arrows"))

    writer = open_writer(tmp_path)
    writer.start_episode()
    add(writer, 0)  # killed before its first second was flushed: nothing to recover
    writer._lock.close()
    with open_writer(tmp_path) as resumed:
        assert resumed.recovered_frames == 0 and resumed.n_episodes == 1
    assert not (tmp_path / VIDEO.format(1)).exists() and not list(tmp_path.rglob("*.arrows"))


def test_crash_between_parquet_and_episode_line(tmp_path):
    record_episodes(tmp_path, 2, 6)
    # as if killed while appending episode 1's line: it is cut off, info.json is stale
    episodes = tmp_path / "meta/episodes.jsonl"
    episodes.write_bytes(episodes.read_bytes()[:-9])
    assert len(Dataset(tmp_path)) == 6  # a reader skips the cut-off line
    with open_writer(tmp_path) as writer:
        assert writer.n_episodes == 2 and writer.total_frames == 12
    assert len(Dataset(tmp_path)) == 12
    assert json.loads((tmp_path / "meta/info.json").read_text())["total_frames"] == 12


@pytest.mark.parametrize(("change", "message"), [
    ({"fps": 30}, "fps"),
    ({"n_actuators": 2, "actuator_names": ["jaw", "lip"]}, "shape"),
    ({"actuator_names": ["a", "b", "c"]}, "names"),
    ({"image_size": (32, 64)}, "shape"),
    ({"video": False}, "dtype"),
    ({"extra_info": {"face": "emo26 spec text"}}, "face"),
])
def test_mismatched_resume_is_refused(tmp_path, change, message):
    with open_writer(tmp_path) as writer:
        add(writer, 0)
    with pytest.raises(DatasetError, match=message) as err:
        open_writer(tmp_path, **change)
    assert str(tmp_path) in str(err.value)


def test_refuses_foreign_directory_and_second_writer(tmp_path):
    (tmp_path / "notes.txt").write_text("not a dataset")
    with pytest.raises(DatasetError, match="not empty"):
        open_writer(tmp_path)
    root = tmp_path / "ds"
    with open_writer(root), pytest.raises(DatasetError, match="another recorder"):
        open_writer(root)
    open_writer(root).close()  # released on close


def test_png_images_are_lossless(tmp_path):
    with open_writer(tmp_path, video=False) as writer:
        for i in range(12):
            add(writer, i)
    dataset = Dataset(tmp_path)
    assert all(np.array_equal(a, frame(i)) for i, a in enumerate(dataset.frames(0)))
    assert np.array_equal(dataset.image(11), frame(11))
    assert dataset.array(STATE).shape == (12, 3)


def test_resume_must_match_the_named_settings(tmp_path):
    with open_writer(tmp_path, extra_info={"sampler": "lower"}) as writer:  # recorded before "near_rest" existed
        add(writer, 0)
    same = {"sampler": "lower", "near_rest": False}
    with open_writer(tmp_path, extra_info={"sampler": "lower", "near_rest": False}, must_match=same) as writer:
        add(writer, 1)  # a missing key is taken to have the value it had before it existed
    with pytest.raises(DatasetError, match="recorded with near_rest False"):
        open_writer(tmp_path, extra_info={"sampler": "lower", "near_rest": True}, must_match=same)
    with pytest.raises(DatasetError, match="recorded with sampler 'lower'"):
        open_writer(tmp_path, extra_info={"sampler": "upper", "near_rest": False}, must_match=same)
    open_writer(tmp_path, extra_info={"sampler": "upper"}).close()  # without must_match, extra_info is not checked
