"""Reading babbling datasets, and the on-disk layout the writer shares.

The layout follows LeRobotDataset v2:

    ROOT/meta/info.json       fps, features, totals, path templates, the recorder's metadata
    ROOT/meta/episodes.jsonl  one line per finished episode: episode_index, length, recovered
    ROOT/data/chunk-000/episode_000000.parquet
    ROOT/videos/chunk-000/observation.images.camera/episode_000000.mp4
    ROOT/images/chunk-000/observation.images.camera/episode_000000/frame_000000.png  (no video)

A reader sees finished episodes only: an episode still being recorded (or cut off by a crash and
not yet recovered by a writer) lives in an `.arrows` journal that `Dataset` ignores.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mirrorface.constants import (
    ACTION,
    EPISODE_INDEX,
    FACE_DETECTED,
    FRAME_INDEX,
    IMAGE,
    INDEX,
    LANDMARKS,
    N_MESH_LANDMARKS,
    STATE,
    TIMESTAMP,
)
from mirrorface.data.video import read_frames
from mirrorface.errors import DatasetError
from mirrorface.face.spec import FaceSpec, parse_spec

CODEBASE_VERSION = "v2.1"
CHUNKS_SIZE = 1000
DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
IMAGE_PATH = (
    "images/chunk-{episode_chunk:03d}/{image_key}/episode_{episode_index:06d}"
    "/frame_{frame_index:06d}.png"
)
INFO = "meta/info.json"
EPISODES = "meta/episodes.jsonl"


def make_features(n_actuators: int, actuator_names: list[str], image_size: tuple[int, int],
                  video: bool, fps: float) -> dict:
    """The `features` entry of info.json: name -> dtype, shape, names, unit."""
    height, width = image_size
    vector = {"dtype": "float32", "shape": [n_actuators], "names": list(actuator_names),
              "unit": "normalized [0, 1]"}
    image: dict = {"dtype": "video" if video else "image", "shape": [height, width, 3],
                   "names": ["height", "width", "channels"]}
    if video:
        image["info"] = {"video.fps": fps, "video.codec": "h264", "video.pix_fmt": "yuv420p",
                         "video.is_depth_map": False, "has_audio": False}
    scalar = {"shape": [1], "names": None}
    return {
        TIMESTAMP: {"dtype": "float64", **scalar, "unit": "s since the episode start"},
        FRAME_INDEX: {"dtype": "int64", **scalar},
        EPISODE_INDEX: {"dtype": "int64", **scalar},
        INDEX: {"dtype": "int64", **scalar},
        ACTION: {**vector, "unit": "normalized [0, 1], as sent after the safety layer"},
        STATE: vector,
        LANDMARKS: {"dtype": "float32", "shape": [N_MESH_LANDMARKS, 3], "names": ["mesh", "xyz"],
                    "unit": "MediaPipe face-mesh coordinates; NaN where no face was found"},
        FACE_DETECTED: {"dtype": "bool", **scalar},
        IMAGE: image,
    }


def make_schema(n_actuators: int) -> pa.Schema:
    """The Arrow schema of the Parquet files and journals (vectors as fixed-size lists)."""
    return pa.schema([
        (TIMESTAMP, pa.float64()),
        (FRAME_INDEX, pa.int64()),
        (EPISODE_INDEX, pa.int64()),
        (INDEX, pa.int64()),
        (ACTION, pa.list_(pa.float32(), n_actuators)),
        (STATE, pa.list_(pa.float32(), n_actuators)),
        (LANDMARKS, pa.list_(pa.float32(), N_MESH_LANDMARKS * 3)),
        (FACE_DETECTED, pa.bool_()),
    ])


def episode_path(root: Path, template: str, episode: int, frame: int = 0) -> Path:
    """Fill a path template of info.json for one episode (and frame)."""
    return root / template.format(episode_chunk=episode // CHUNKS_SIZE, episode_index=episode,
                                  video_key=IMAGE, image_key=IMAGE, frame_index=frame)


def read_info(root: Path) -> dict:
    """meta/info.json, checked for the keys readers need; DatasetError if missing or corrupt."""
    path = root / INFO
    if not path.is_file():
        raise DatasetError(f"no dataset at {root}: {INFO} not found")
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DatasetError(f"corrupt dataset {root}: {INFO} is unreadable ({err})") from None
    missing = [k for k in ("fps", "features", "data_path") if not isinstance(info, dict)
               or k not in info]
    if missing:
        raise DatasetError(f"corrupt dataset {root}: {INFO} lacks {', '.join(missing)}")
    return info


def read_episodes(root: Path) -> tuple[list[dict], int]:
    """The finished episodes, and the byte length of the intact part of episodes.jsonl.

    A last line without its newline was cut off by a crash while being appended: that episode
    never finished, so it is left out (a writer truncates it away when it resumes).
    """
    path = root / EPISODES
    data = path.read_bytes() if path.is_file() else b""
    intact = data.rfind(b"\n") + 1
    episodes = []
    for number, line in enumerate(data[:intact].splitlines(), 1):
        try:
            episode = json.loads(line)
            int(episode["episode_index"]), int(episode["length"])
        except (ValueError, KeyError, TypeError):
            raise DatasetError(f"corrupt dataset {root}: {EPISODES} line {number} is "
                               "not an episode") from None
        episodes.append(episode)
    return episodes, intact


def check_episodes(root: Path, info: dict, episodes: list[dict]) -> None:
    """Every finished episode's Parquet file is there, readable, and holds the rows its line says.

    Reads only each file's footer, so opening a dataset stays cheap.
    """
    for episode in episodes:
        path = episode_path(root, info["data_path"], episode["episode_index"])
        if not path.is_file():
            raise DatasetError(f"corrupt dataset {root}: {path} is missing")
        try:
            rows = pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException) as err:
            raise DatasetError(f"corrupt dataset {root}: cannot read {path} ({err})") from None
        if rows != episode["length"]:
            raise DatasetError(f"corrupt dataset {root}: {path} holds {rows} rows, its episode "
                               f"line says {episode['length']}")


class Dataset:
    """A babbling dataset on disk, read-only: frames of all finished episodes, in order.

    `info` is meta/info.json, `episodes` the finished episodes' lines of meta/episodes.jsonl.
    Raises `DatasetError` if `root` holds no dataset or it is corrupt.
    """

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.info = read_info(self.root)
        self.episodes, _ = read_episodes(self.root)
        self.fps = float(self.info["fps"])
        check_episodes(self.root, self.info, self.episodes)
        # starts[i] is the global index of episode i's first frame
        self._starts = np.cumsum([0] + [e["length"] for e in self.episodes]).tolist()
        self._table: pa.Table | None = None

    def spec(self) -> FaceSpec:
        """The face the dataset was recorded on (the spec is stored with the data)."""
        if "face_spec" not in self.info:
            raise DatasetError(f"{self.root} does not record its face spec")
        return parse_spec(self.info["face_spec"], f"{self.root} (face spec)")

    def __len__(self) -> int:
        """Total frames over the finished episodes."""
        return self._starts[-1]

    def table(self) -> pa.Table:
        """All frames of all episodes, in order, as one Arrow table (read once, then cached)."""
        if self._table is None:
            parts = []
            for episode in self.episodes:
                path = episode_path(self.root, self.info["data_path"], episode["episode_index"])
                try:
                    parts.append(pq.read_table(path))
                except (OSError, pa.ArrowException) as err:
                    raise DatasetError(f"corrupt dataset {self.root}: cannot read {path} "
                                       f"({err})") from None
            n = self.info["features"][ACTION]["shape"][0]
            self._table = pa.concat_tables(parts) if parts else make_schema(n).empty_table()
        return self._table

    def array(self, key: str) -> np.ndarray:
        """One column as NumPy: vectors (N, n) float32, LANDMARKS (N, 468, 3), scalars (N,)."""
        table = self.table()
        if key not in table.column_names:
            raise DatasetError(f"{self.root} has no column {key!r}; it has "
                               f"{', '.join(table.column_names)}")
        column = table.column(key).combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            values = column.flatten().to_numpy(zero_copy_only=False)
            shape = self.info["features"][key]["shape"]
            return values.reshape(len(column), *shape)
        return column.to_numpy(zero_copy_only=False)

    def _episode(self, episode: int) -> dict:
        for entry in self.episodes:
            if entry["episode_index"] == episode:
                return entry
        raise DatasetError(f"{self.root} has no finished episode {episode}")

    def frames(self, episode: int, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        """The RGB images of one episode (frames `start` to `stop`), as (H, W, 3) uint8."""
        length = self._episode(episode)["length"]
        stop = length if stop is None else min(stop, length)
        if self.info["features"][IMAGE]["dtype"] == "video":
            path = episode_path(self.root, self.info["video_path"], episode)
            source = read_frames(path, start, stop)
        else:
            source = self._pngs(episode, start, stop)
        count = start
        for frame in source:
            yield frame
            count += 1
        if count < stop:
            raise DatasetError(f"corrupt dataset {self.root}: episode {episode} has images for "
                               f"{count} of its {length} frames")

    def _pngs(self, episode: int, start: int, stop: int) -> Iterator[np.ndarray]:
        for i in range(start, stop):
            bgr = cv2.imread(str(episode_path(self.root, self.info["image_path"], episode, i)))
            if bgr is None:
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def image(self, index: int) -> np.ndarray:
        """One RGB frame by global index (seeks to the keyframe before it, then decodes)."""
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} out of range for a dataset of {len(self)} frames")
        i = bisect.bisect_right(self._starts, index) - 1
        frame = index - self._starts[i]
        return next(self.frames(self.episodes[i]["episode_index"], frame, frame + 1))
