"""Recording babbling datasets that survive Ctrl-C and `kill -9`.

While an episode records, its rows go to an Arrow IPC stream journal (`episode_XXXXXX.arrows`
beside the Parquet file it will become), one record batch per second of frames, each handed to
the OS at once; its images go to a fragmented MP4 that is readable up to its last frame (see
`video.py`), or to PNG files renamed into place. `end_episode` turns the journal into Parquet
(temp file, fsync, atomic rename), then appends the episode's line to meta/episodes.jsonl and
rewrites meta/info.json atomically. Each step leaves something the next open can finish, so a
crash loses at most the last second of frames:

- Opening a dataset for writing recovers an unfinished episode: the journal's complete batches
  and the video's decodable frames are cut to the shorter of the two, written as Parquet, and the
  episode's line says `"recovered": true`. An episode with nothing to recover is deleted.
- A Parquet file whose line never reached episodes.jsonl gets its line; a cut-off last line is
  dropped first; info.json totals are recomputed from episodes.jsonl on every open.

One writer at a time: a second writer on the same root (this process or another) is refused.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mirrorface.constants import N_MESH_LANDMARKS
from mirrorface.data.dataset import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_PATH,
    EPISODES,
    IMAGE_PATH,
    INFO,
    VIDEO_PATH,
    check_episodes,
    episode_path,
    make_features,
    make_schema,
    read_episodes,
    read_info,
)
from mirrorface.data.video import VideoWriter, count_frames, trim
from mirrorface.errors import DatasetError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, one writer at a time is then up to the user
    fcntl = None

_RESERVED = ("codebase_version", "fps", "features", "total_frames", "total_episodes",
             "total_videos", "total_chunks", "chunks_size", "splits", "data_path", "video_path",
             "image_path")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)  # a directory too: that makes a rename in it durable
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_journal(path: Path, schema: pa.Schema) -> pa.Table:
    """The complete record batches of a journal; a batch cut short by a crash is left out."""
    batches = []
    with contextlib.suppress(FileNotFoundError), open(path, "rb") as f:
        try:
            reader = pa.ipc.open_stream(f)
            while True:
                batches.append(reader.read_next_batch())
        except (StopIteration, pa.ArrowInvalid, OSError):
            pass  # the clean end, or where the crash cut the file
    table = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    if not table.schema.equals(schema):
        raise DatasetError(f"corrupt journal {path}: its columns do not match the dataset")
    return table


@dataclass
class _Episode:
    """The episode being recorded: its journal, video and the rows of the current second."""

    index: int
    first: int  # global index of its first frame
    journal: object  # the open file under `writer`
    writer: pa.ipc.RecordBatchStreamWriter
    video: VideoWriter | None
    frames: int = 0
    pending: list[tuple] = field(default_factory=list)


class DatasetWriter:
    """Create a dataset at `root`, or resume one (recovering an interrupted episode).

    Resuming checks that fps, actuators, image size, video/images and `extra_info["face"]` match
    what the dataset was recorded with (`DatasetError` naming the difference otherwise), and so
    must the `extra_info` keys named in `must_match`; each maps to the value a dataset recorded
    before that key existed is taken to have. The stored `extra_info` is kept, keys it lacks are
    added. `image_size` is (height, width).
    Use as a context manager: leaving the block, even by an exception, finishes the episode.
    """

    def __init__(self, root: Path | str, *, fps: float, n_actuators: int,
                 actuator_names: list[str], image_size: tuple[int, int], video: bool = True,
                 extra_info: dict | None = None, must_match: dict | None = None):
        self.root = Path(root)
        self.fps, self.n_actuators, self.video = float(fps), int(n_actuators), video
        self.image_size = (int(image_size[0]), int(image_size[1]))
        extra = dict(extra_info or {})
        if len(actuator_names) != n_actuators:
            raise ValueError(f"{len(actuator_names)} actuator names for {n_actuators} actuators")
        if clash := [k for k in extra if k in _RESERVED]:
            raise ValueError(f"extra_info may not set {', '.join(clash)}")
        if video and (self.image_size[0] % 2 or self.image_size[1] % 2):
            raise ValueError(f"video needs an even image size, got {self.image_size}")
        self._features = make_features(n_actuators, actuator_names, self.image_size, video, fps)
        self._schema = make_schema(n_actuators)
        self._batch_rows = max(1, round(self.fps))  # one journal batch per second of frames
        self._current: _Episode | None = None
        self.recovered_frames = 0
        if (self.root / INFO).exists():
            self.info = read_info(self.root)
            self._check_compatible(extra, must_match or {})
            for key, value in extra.items():
                self.info.setdefault(key, value)
        elif self.root.exists() and any(p.is_file() and p.name != ".lock"
                                           for p in self.root.rglob("*")):
            raise DatasetError(f"{self.root} is not empty and holds no dataset ({INFO} missing); "
                               "refusing to write into it")
        else:
            self.info = {"codebase_version": CODEBASE_VERSION, "robot_type": "mirrorface",
                         "fps": self.fps, "features": self._features, "chunks_size": CHUNKS_SIZE,
                         "data_path": DATA_PATH, "video_path": VIDEO_PATH if video else None,
                         "image_path": None if video else IMAGE_PATH, **extra}
        (self.root / "meta").mkdir(parents=True, exist_ok=True)
        self._lock = self._acquire_lock()
        self.episodes, intact = read_episodes(self.root)
        if (self.root / EPISODES).exists() and intact < (self.root / EPISODES).stat().st_size:
            os.truncate(self.root / EPISODES, intact)  # drop a line cut off mid-append
        self._recover()
        check_episodes(self.root, self.info, self.episodes)  # never append to a dataset that is already broken
        self._write_info()

    # -- public API -------------------------------------------------------------------------

    @property
    def n_episodes(self) -> int:
        """Finished episodes."""
        return len(self.episodes)

    @property
    def total_frames(self) -> int:
        """Frames of the finished episodes plus the one being recorded."""
        return self._finished_frames() + (self._current.frames if self._current else 0)

    def start_episode(self) -> int:
        """Begin a new episode (finishing the current one, if any); returns its index."""
        self.end_episode()
        index = max((e["episode_index"] for e in self.episodes), default=-1) + 1
        journal_path = self._path(DATA_PATH, index).with_suffix(".arrows")
        journal_path.parent.mkdir(parents=True, exist_ok=True)
        # The journal comes first: a video or images never exist without one to recover from.
        journal = open(journal_path, "wb")  # noqa: SIM115 - held open for the whole episode
        writer = pa.ipc.new_stream(journal, self._schema)
        journal.flush()
        video = None
        if self.video:
            video_path = self._path(VIDEO_PATH, index)
            video_path.parent.mkdir(parents=True, exist_ok=True)
            video = VideoWriter(video_path, self.fps, self.image_size[1], self.image_size[0])
        else:
            self._path(IMAGE_PATH, index).parent.mkdir(parents=True, exist_ok=True)
        self._current = _Episode(index, self._finished_frames(), journal, writer, video)
        return index

    def add_frame(self, *, timestamp: float, action: np.ndarray, state: np.ndarray,
                  landmarks: np.ndarray | None, image: np.ndarray) -> None:
        """Record one frame (starting an episode if none is open).

        `landmarks` is (468, 3) (or flat 1404); None means no face: NaN and face_detected False.
        `image` is (height, width, 3) uint8 RGB. Everything is checked before anything is written.
        """
        n, (height, width) = self.n_actuators, self.image_size
        action = np.array(action, dtype=np.float32).reshape(-1)  # copies: callers reuse buffers
        state = np.array(state, dtype=np.float32).reshape(-1)
        if action.shape != (n,) or state.shape != (n,):
            raise ValueError(f"action and state need {n} values, got {action.size}, {state.size}")
        detected = landmarks is not None
        flat = np.full(N_MESH_LANDMARKS * 3, np.nan, np.float32)
        if detected:
            flat = np.array(landmarks, dtype=np.float32).reshape(-1)
            if flat.size != N_MESH_LANDMARKS * 3:
                raise ValueError(f"landmarks need {N_MESH_LANDMARKS} x 3 values, got {flat.size}")
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(f"image must be ({height}, {width}, 3) uint8, got "
                             f"{image.shape} {image.dtype}")
        if self._current is None:
            self.start_episode()
        episode = self._current
        # The image goes first, so the journal never holds a row whose image is not on disk.
        if episode.video is not None:
            episode.video.write(image)
        else:
            path = self._path(IMAGE_PATH, episode.index, episode.frames)
            ok, png = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_PNG_COMPRESSION, 1])
            path.with_suffix(".tmp").write_bytes(png.tobytes())
            os.replace(path.with_suffix(".tmp"), path)  # a PNG on disk is always whole
        episode.pending.append((float(timestamp), action, state, flat, detected))
        episode.frames += 1
        if len(episode.pending) >= self._batch_rows:
            self._flush(episode)

    def end_episode(self) -> None:
        """Finish the current episode (Parquet, episodes.jsonl, info.json); no-op if none."""
        episode, self._current = self._current, None
        if episode is None:
            return
        self._flush(episode)
        episode.writer.close()
        episode.journal.close()
        if episode.video is not None:
            episode.video.close()
        if episode.frames == 0:
            self._drop(episode.index)
            return
        journal = self._path(DATA_PATH, episode.index).with_suffix(".arrows")
        self._publish(episode.index, _read_journal(journal, self._schema), recovered=False)
        self._write_info()

    def close(self) -> None:
        """Finish the current episode and release the dataset."""
        try:
            self.end_episode()
        finally:
            if self._lock is not None:
                self._lock.close()  # closing the file releases the lock
                self._lock = None

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # on an exception too: what was recorded is kept

    # -- internals --------------------------------------------------------------------------

    def _path(self, template: str, episode: int, frame: int = 0) -> Path:
        return episode_path(self.root, template, episode, frame)

    def _finished_frames(self) -> int:
        return sum(e["length"] for e in self.episodes)

    def _acquire_lock(self):
        if fcntl is None:
            return None
        lock = open(self.root / "meta" / ".lock", "w")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise DatasetError(f"{self.root} is being written by another recorder") from None
        return lock

    def _check_compatible(self, extra: dict, must_match: dict) -> None:
        where = f"cannot append to {self.root}"
        if not math.isclose(float(self.info["fps"]), self.fps):
            raise DatasetError(f"{where}: it was recorded at {self.info['fps']} fps, "
                               f"not {self.fps:g}")
        for key, new in self._features.items():
            old = self.info["features"].get(key, {})
            for part in ("dtype", "shape", "names"):
                if old.get(part) != new.get(part):
                    raise DatasetError(f"{where}: its {key} {part} is {old.get(part)}, "
                                       f"this recording's is {new.get(part)}")
        if "face" in extra and "face" in self.info and extra["face"] != self.info["face"]:
            raise DatasetError(f"{where}: it was recorded with a different face spec")
        recorded = {key: self.info.get(key, before) for key, before in must_match.items()}
        if clash := [key for key, value in recorded.items() if value != extra.get(key)]:
            found = ", ".join(f"{key} {recorded[key]!r}" for key in clash)
            raise DatasetError(f"{where}: it was recorded with {found}; pass the same options or choose another folder")

    def _flush(self, episode: _Episode) -> None:
        """Write the pending rows as one record batch and hand it to the OS."""
        if not episode.pending:
            return
        ts, action, state, marks, detected = zip(*episode.pending, strict=True)
        first = episode.frames - len(ts)
        frame = np.arange(first, episode.frames, dtype=np.int64)

        def vectors(rows: tuple, size: int) -> pa.Array:
            return pa.FixedSizeListArray.from_arrays(pa.array(np.concatenate(rows)), size)

        columns = [pa.array(ts, pa.float64()), pa.array(frame),
                   pa.array(np.full(len(ts), episode.index, np.int64)),
                   pa.array(episode.first + frame), vectors(action, self.n_actuators),
                   vectors(state, self.n_actuators), vectors(marks, N_MESH_LANDMARKS * 3),
                   pa.array(detected, pa.bool_())]
        episode.writer.write_batch(pa.record_batch(columns, schema=self._schema))
        episode.journal.flush()
        episode.pending.clear()

    def _publish(self, index: int, table: pa.Table, recovered: bool) -> None:
        """Journal -> Parquet (atomically), then the episode's line in episodes.jsonl."""
        path = self._path(DATA_PATH, index)
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
        path.with_suffix(".arrows").unlink(missing_ok=True)
        self._append_episode(index, table.num_rows, recovered)

    def _append_episode(self, index: int, length: int, recovered: bool) -> None:
        entry = {"episode_index": index, "length": length, "recovered": recovered}
        with open(self.root / EPISODES, "a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.episodes.append(entry)

    def _drop(self, index: int) -> None:
        """Delete an episode that holds nothing; the journal goes last (it marks unfinished)."""
        if self.video:
            self._path(VIDEO_PATH, index).unlink(missing_ok=True)
        else:
            shutil.rmtree(self._path(IMAGE_PATH, index).parent, ignore_errors=True)
        self._path(DATA_PATH, index).with_suffix(".arrows").unlink(missing_ok=True)

    def _recover(self) -> None:
        """Finish whatever a crash left: see the module docstring."""
        finished = {e["episode_index"] for e in self.episodes}
        for tmp in (self.root / "data").glob("chunk-*/*.tmp"):
            tmp.unlink()
        found = {int(p.stem.split("_")[1]) for p in (self.root / "data").glob("chunk-*/episode_*")
                 if p.suffix in (".parquet", ".arrows")}
        for index in sorted(found):
            parquet = self._path(DATA_PATH, index)
            if index in finished or parquet.exists():
                parquet.with_suffix(".arrows").unlink(missing_ok=True)  # stale journal
                if index not in finished:  # finished, but its line never made it
                    self._append_episode(index, pq.read_metadata(parquet).num_rows, False)
                continue
            rows = _read_journal(parquet.with_suffix(".arrows"), self._schema)
            keep = min(rows.num_rows, self._count_images(index))
            if keep == 0:
                self._drop(index)
                continue
            if self.video:
                trim(self._path(VIDEO_PATH, index), keep)  # as many frames as rows, and any player opens it
            else:
                for png in self._path(IMAGE_PATH, index).parent.glob("frame_*"):
                    if int(png.stem.split("_")[1]) >= keep or png.suffix != ".png":
                        png.unlink()
            self._publish(index, rows.slice(0, keep), recovered=True)
            self.recovered_frames += keep

    def _count_images(self, index: int) -> int:
        if self.video:
            try:
                return count_frames(self._path(VIDEO_PATH, index))
            except DatasetError:  # missing, or cut before its first frame
                return 0
        count = 0
        while self._path(IMAGE_PATH, index, count).exists():
            count += 1
        return count

    def _write_info(self) -> None:
        """Recompute the totals and replace info.json atomically."""
        n = len(self.episodes)
        self.info.update(total_frames=self._finished_frames(), total_episodes=n,
                         total_videos=n if self.video else 0,
                         total_chunks=-(-n // CHUNKS_SIZE), splits={"train": f"0:{n}"})
        path = self.root / INFO
        tmp = path.with_suffix(".json.tmp")
        with open(tmp, "w") as f:
            json.dump(self.info, f, indent=2, default=str)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync(path.parent)
