"""`mirrorface dataset`: inspect a recorded dataset.

Example:
    mirrorface dataset info data/lips10-babble
    mirrorface dataset sheet data/lips10-babble --out sheet.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from mirrorface.constants import ACTION, FACE_DETECTED
from mirrorface.images import save_image

app = typer.Typer(help="Inspect recorded datasets.", no_args_is_help=True)


@app.command("info")
def info(path: Path = typer.Argument(..., help="Dataset folder.")) -> None:
    """Frames, episodes, fps, face, sampler, detection rate and command statistics."""
    from mirrorface.data.dataset import Dataset

    data = Dataset(path)
    meta = data.info
    detected = data.array(FACE_DETECTED)
    actions = data.array(ACTION)
    typer.echo(f"{path}: {len(data)} frames in {len(data.episodes)} episodes at {data.fps:g} fps")
    typer.echo(f"face {meta.get('face')}, sampler {meta.get('sampler')}, seed {meta.get('seed')}")
    if len(data):
        typer.echo(f"MediaPipe found the face in {detected.mean():.1%} of frames")
        names = meta["features"][ACTION]["names"]
        for name, lo, mean, hi in zip(names, actions.min(0), actions.mean(0), actions.max(0), strict=True):
            typer.echo(f"  {name:<18} min {lo:.3f}  mean {mean:.3f}  max {hi:.3f}")


@app.command("sheet")
def sheet(
    path: Path = typer.Argument(..., help="Dataset folder."),
    out: Path = typer.Option(Path("sheet.png"), help="Where to write the contact sheet."),
    n: int = typer.Option(16, help="Number of frames."),
    columns: int = typer.Option(4, help="Frames per row."),
) -> None:
    """A contact sheet: frames spread evenly over the dataset, labelled with their index."""
    from mirrorface.data.dataset import Dataset
    from mirrorface.data.sheet import contact_sheet
    from mirrorface.errors import MirrorfaceError

    if n < 1 or columns < 1:
        raise MirrorfaceError("--n and --columns must be positive")
    image = contact_sheet(Dataset(path), n=n, columns=columns)
    save_image(out, np.asarray(image))
    typer.echo(str(out))


@app.command("video")
def video(
    path: Path = typer.Argument(..., help="Dataset folder."),
    out: Path = typer.Option(Path("babble.mp4"), help="Where to write the MP4."),
) -> None:
    """All episodes of a dataset, one after another, as one MP4 to watch."""
    from mirrorface.data.dataset import Dataset
    from mirrorface.data.video import VideoWriter
    from mirrorface.errors import MirrorfaceError
    from mirrorface.files import atomic_output

    data = Dataset(path)
    if len(data) == 0:
        raise MirrorfaceError(f"{path} has no frames to show")
    height, width = data.image(0).shape[:2]
    with atomic_output(out) as tmp, VideoWriter(tmp, data.fps, width, height) as writer:  # whole, or not at all
        for episode in data.episodes:
            for frame in data.frames(episode["episode_index"]):
                writer.write(frame)
    typer.echo(str(out))
