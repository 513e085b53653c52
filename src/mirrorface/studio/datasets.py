"""The Data and models view's engine: babbling datasets to browse, babbling runs, checkpoints.

Datasets are found under the configured roots (a folder with meta/info.json, at most two levels
down) and named by their path relative to the root they were found under; the page can only
ask for a dataset by such a name, never by a path. A babbling run is `mirrorface babble` in its
own process (the same command, settings and resumable dataset as on the terminal); its
progress is the frames its finished episodes hold, read from the dataset itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mirrorface.constants import ACTION, LANDMARKS
from mirrorface.data.dataset import INFO, Dataset, read_episodes
from mirrorface.errors import MirrorfaceError

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PLOT_POINTS = 600  # rows sent for the command plot: enough for a 520-pixel canvas
UPPER_LIP, LOWER_LIP = 13, 14  # face-mesh landmarks at the middle of the inner lips


def find_datasets(roots: tuple[Path, ...]) -> dict[str, Path]:
    """name -> folder of every dataset under the roots (the root's own name first: `out/lips10-babble`)."""
    found = {}
    for root in roots:
        if not root.is_dir():
            continue
        for info in sorted([*root.glob(f"*/{INFO}"), *root.glob(f"*/*/{INFO}")]):
            folder = info.parent.parent
            found[f"{root.name}/{folder.relative_to(root).as_posix()}"] = folder
    return found


def summary(name: str, folder: Path) -> dict:
    data = Dataset(folder)
    info = data.info
    return {"name": name, "frames": len(data), "episodes": len(data.episodes), "fps": data.fps,
            "face": info.get("face"), "sampler": info.get("sampler"),
            "actuators": info["features"][ACTION].get("names")}


def plot_series(folder: Path) -> dict:
    """The commands over time, and the mouth opening the landmarks show, thinned to PLOT_POINTS rows."""
    data = Dataset(folder)
    commands = data.array(ACTION)
    step = max(1, len(commands) // PLOT_POINTS)
    series = {"time_s": (np.arange(0, len(commands), step) / data.fps).round(3).tolist(),
              "commands": np.round(commands[::step], 3).tolist()}
    if LANDMARKS in data.info["features"]:
        marks = data.array(LANDMARKS)
        opening = marks[::step, LOWER_LIP, 1] - marks[::step, UPPER_LIP, 1]
        series["mouth_opening"] = [None if not np.isfinite(v) else round(float(v), 4) for v in opening]
    return series


@dataclass
class BabbleRun:
    """One `mirrorface babble` process and the dataset it fills."""

    folder: Path
    frames: int
    process: subprocess.Popen
    log: list[str] = field(default_factory=list)

    def progress(self) -> dict:
        done = sum(e["length"] for e in read_episodes(self.folder)[0]) if (self.folder / INFO).is_file() else 0
        code = self.process.poll()
        error = None
        if code not in (None, 0):
            error = (self.process.stderr.read() or "").strip().splitlines()[-1:] or [f"exit status {code}"]
            error = error[0]
        return {"frames": done, "total": self.frames, "running": code is None, "error": error,
                "dataset": self.folder.name}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # Ctrl-C's signal: the recorder keeps every finished episode
            self.process.wait(timeout=30)


def start_babble(root: Path, name: str, face: str, frames: int) -> BabbleRun:
    """Start `mirrorface babble` into root/name (a new name, or one to resume)."""
    if not NAME.match(name):
        raise MirrorfaceError("a dataset name is 1-64 letters, digits, - or _")
    if not 1 <= frames <= 100_000:
        raise MirrorfaceError(f"frames must be within 1..100000, got {frames}")
    from mirrorface.face.spec import load_spec

    spec = load_spec(face)  # refuse an unknown face here, with the command's own message
    episode = min(frames, 60)  # short episodes: the progress bar moves every 2 s of babbling
    folder = root / name
    sampler = "speech" if spec.name == "lips10" else "uniform"
    command = [sys.executable, "-m", "mirrorface", "babble", "--face", face, "--frames", str(frames),
               "--episode-frames", str(episode), "--sampler", sampler, "--out", str(folder), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return BabbleRun(folder, frames, process)


def checkpoints(loaded: set[str]) -> list[dict]:
    """The shipped checkpoints: what each was trained on, its figures, and whether the studio holds it."""
    from mirrorface.lipsync.speak import CHECKPOINTS

    rows = []
    for config in sorted(CHECKPOINTS.glob("**/config.json")):
        folder = config.parent
        name = folder.relative_to(CHECKPOINTS).as_posix()
        training = json.loads(config.read_text()).get("training", {})
        figures_file = folder / "figures.json"
        figures = json.loads(figures_file.read_text()) if figures_file.is_file() else {
            k: v for k, v in training.items() if isinstance(v, int | float | str) and k != "mirrorface"}
        rows.append({"name": name, "loaded": name in loaded, "figures": figures})
    return rows
