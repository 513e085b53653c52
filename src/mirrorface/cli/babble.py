"""`mirrorface babble`: record a motor-babbling dataset on a face.

Example:
    mirrorface babble --face lips10 --frames 20000 --out data/lips10-babble
    mirrorface babble --face emo26 --sampler lower --near-rest --settle --frames 1000 --out data/emo26-lower
Rerunning the same command after an interrupt resumes where the dataset stops.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mirrorface.data.babbling import Sampler
from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import load_spec, spec_path


def babble(
    out: Path = typer.Option(..., help="Dataset folder (created, or resumed if it exists)."),
    face: str = typer.Option("lips10", help="A built-in face name or the path of a face.toml."),
    frames: int = typer.Option(2000, help="Total frames the dataset should hold."),
    sampler: str = typer.Option("speech", help="uniform | speech | upper | lower"),
    hold: int = typer.Option(4, help="Frames each uniform command is held."),
    near_rest: bool = typer.Option(False, help="Uniform kinds: move a random subset of the actuators, and pull half "
                                   "the poses part of the way back to rest (as the coexpression self-model does)."),
    episode_frames: int = typer.Option(300, help="Frames per episode."),
    settle: bool = typer.Option(False, help="Record one still frame per command once the servos settle."),
    seed: int = typer.Option(0, help="Seeds the sampler and the simulated camera."),
    images: bool = typer.Option(False, help="Store PNG images instead of MP4 video."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Babble: random safe commands on the face while it watches itself; record everything."""
    from mirrorface.data.recorder import BabblePlan, babble_dataset

    if frames < 1 or episode_frames < 1:
        raise MirrorfaceError("--frames and --episode-frames must be positive")
    spec = load_spec(face)
    plan = BabblePlan(Sampler(sampler, hold, near_rest), frames, episode_frames, seed, settle)
    columns = (TextColumn("babbling"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=quiet, transient=True) as bar:
        task = bar.add_task("babble", total=None)
        recorded, total = babble_dataset(
            spec, spec_path(face).read_text(encoding="utf-8"), out, plan, video=not images,
            progress=lambda k, todo: bar.update(task, completed=k, total=todo),
            recovered=lambda k: typer.echo(f"recovered {k} frames of an interrupted episode", err=True))
    typer.echo(f"{out}: recorded {recorded} frames, {total} in total")
