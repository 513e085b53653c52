"""`mirrorface eval`: measurements, each written as a figure you can reproduce.

Example:
    mirrorface eval face --face lips10 --samples 1000
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress

from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import load_spec

app = typer.Typer(help="Measure faces and models.", no_args_is_help=True)


@app.command("face")
def face(
    face: str = typer.Option("lips10", help="A built-in face name or the path of a face.toml."),
    samples: int = typer.Option(1000, help="Random safe poses to render."),
    sampler: str = typer.Option("uniform", help="Which actuators move: uniform | speech | upper | lower."),
    seed: int = typer.Option(0, help="Seeds the poses, the camera noise and the MLP."),
    out: Path | None = typer.Option(None, help="Also write the figures as JSON here."),
) -> None:
    """MediaPipe detection rate on renders, and linear vs MLP error from commands to lips."""
    from mirrorface.eval.face_probe import probe_face

    if samples < 20:
        raise MirrorfaceError("--samples must be at least 20 (the fits need a held-out split)")
    spec = load_spec(face)
    with Progress(transient=True) as bar:
        task = bar.add_task("rendering + MediaPipe", total=samples)
        result = probe_face(spec, samples, sampler, seed, lambda k: bar.update(task, completed=k))
    typer.echo(f"face {result.face}, sampler {result.sampler}, {samples} random safe poses, seed {seed}")
    typer.echo(f"MediaPipe found the face in {result.detected}/{samples} = {result.detection_rate:.1%}")
    typer.echo(f"lip landmarks from commands, held-out RMSE: linear {result.linear_rmse_px:.2f} px, "
               f"MLP {result.mlp_rmse_px:.2f} px, ratio {result.nonlinearity_ratio:.2f}x")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.as_dict(), indent=2))
