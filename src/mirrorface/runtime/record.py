"""What a live run sent, written row by row as it goes: an interrupt or a fault loses nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError


class SentLog:
    """A CSV of (time_s on the run's clock, one column per actuator), flushed after every row."""

    def __init__(self, path: str | Path, names: list[str]):
        path = Path(path)
        if path.suffix != ".csv":
            raise MirrorfaceError(f"a live run records its commands as .csv, got {path.name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("w", encoding="utf-8")
        self._file.write(",".join(["time_s", *names]) + "\n")
        self._file.flush()

    def __call__(self, t: float, sent: np.ndarray) -> None:
        self._file.write(",".join([f"{t:.5f}", *(f"{v:.5f}" for v in sent)]) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SentLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
