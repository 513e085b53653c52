"""Run a command trajectory on a face, frame by frame, and keep what the camera saw.

One clock for everything: at time k / fps the camera frame k is captured and the actuators are
read, then command k is sent. Frame k therefore shows commands 0 .. k-1 through the servos' lag;
frame k + 1 is the first to show command k, which is the pairing the babbling recorder stores
(command k with the frame one period after it) and the models learn.

The commands go through the runtime's scheduler on the face's own clock (`VirtualClock`): offline,
the simulator is stepped from one command's time to the next as fast as the work allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.hardware.face import Face
from mirrorface.runtime.clock import VirtualClock
from mirrorface.runtime.scheduler import Scheduler


@dataclass
class Step:
    sent: np.ndarray  # (n,) command k after the safety layer, sent at k / fps
    position: np.ndarray  # (n,) measured actuator positions at k / fps
    frame: np.ndarray | None  # (H, W, 3) uint8 captured at k / fps, or None when not captured


@dataclass
class Execution:
    sent: np.ndarray  # (F, n)
    positions: np.ndarray  # (F, n)
    frames: np.ndarray | None  # (F, H, W, 3) uint8, or None


def perform(face: Face, commands: Iterable[np.ndarray], fps: float, *, capture: bool = True,
            settle_s: float = 0.3) -> Iterator[Step]:
    """Rest for `settle_s` (every run starts alike), then play `commands` at `fps`, one step each.

    `commands` may be any iterable, a stream still being planned included.
    """
    face.go_neutral(settle_s)
    scheduler = Scheduler(face, VirtualClock(face))
    played = 0
    for k, command in enumerate(commands):
        scheduler.wait(k / fps)  # on the face's own clock nothing is ever late
        position, frame = face.read_positions(), face.read_frame() if capture else None
        yield Step(scheduler.send(command), position, frame)
        played = k + 1
    scheduler.finish(played / fps)


def execute(face: Face, commands: np.ndarray, fps: float, *, capture: bool = True,
            settle_s: float = 0.3) -> Execution:
    """`perform` the whole trajectory and gather it."""
    steps = list(perform(face, commands, fps, capture=capture, settle_s=settle_s))
    n = face.spec.n
    return Execution(np.array([s.sent for s in steps]).reshape(-1, n),
                     np.array([s.position for s in steps]).reshape(-1, n),
                     np.stack([s.frame for s in steps]) if capture and steps else None)


def write_trajectory(path: Path, commands: np.ndarray, names: list[str], fps: float) -> None:
    """Commands with their times: Parquet (.parquet) or CSV (.csv); one column per actuator."""
    columns = {"time_s": np.arange(len(commands)) / fps, **{n: commands[:, i] for i, n in enumerate(names)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(columns), path)
    elif path.suffix == ".csv":
        header = ",".join(columns)
        np.savetxt(path, np.column_stack(list(columns.values())), delimiter=",", header=header, comments="",
                   fmt="%.5f")
    else:
        raise MirrorfaceError(f"--trajectory must end in .parquet or .csv, got {path.name!r}")
