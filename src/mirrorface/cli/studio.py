"""`mirrorface studio`: the local web page; `studio render-study`, `studio analyze` for the perceptual study.

Examples:
    mirrorface studio                                   # http://127.0.0.1:8765/
    mirrorface studio --host 0.0.0.0 --token auto       # other machines: a generated token, printed
    mirrorface studio render-study --babble data/lips10-babble
    mirrorface studio analyze out/studio/study.db --csv answers.csv --plot study.png
"""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="The studio: drive, watch and evaluate the face in a web page.", invoke_without_command=True,
                  no_args_is_help=False)
WORKDIR = typer.Option(Path("out/studio"), help="Where uploads, spoken files and the study live.")


@app.callback()
def studio(ctx: typer.Context,
           host: str = typer.Option("127.0.0.1", help="Address to bind; anything but loopback needs --token."),
           port: int = typer.Option(8765, help="TCP port."),
           token: str = typer.Option(None, help="Demand this token from the page (`auto`: generate and print one)."),
           workdir: Path = WORKDIR,
           face: str = typer.Option("lips10", help="The face that speaks."),
           coexpress_face: str = typer.Option("emo26", help="The face that answers the webcam."),
           models: Path = typer.Option(None, help="Lip-sync models folder (default: the face's shipped ones)."),
           data: list[Path] = typer.Option([Path("data"), Path("out")], help="Folders with babbling datasets."),
           babble: Path = typer.Option(None, help="Babbling dataset for the study's nearest-landmarks clips."),
           chat_url: str = typer.Option(None, help="The OpenAI-compatible chat model the Chat view asks."),
           seed: int = typer.Option(0, help="Seeds the simulated camera.")) -> None:
    """Serve the studio page until Ctrl-C (with no subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from mirrorface.errors import MirrorfaceError
    from mirrorface.studio.app import StudioConfig
    from mirrorface.studio.server import serve

    if not 0 < port < 65536:
        raise MirrorfaceError(f"--port must be within 1..65535, got {port}")
    config = StudioConfig(workdir=workdir, token=token, speak_face=face, coexpress_face=coexpress_face,
                          models=models, data_roots=tuple(data), babble_data=babble, chat_url=chat_url, seed=seed)
    serve(config, host, port, announce=typer.echo)


@app.command("render-study")
def render_study(
    babble: Path = typer.Option(Path("data/lips10-babble"), help="Babbling dataset (the nearest-landmarks "
                                "baseline draws from it)."),
    sentence: list[str] = typer.Option(None, help="A sentence to show (repeat; default: the paper's three)."),
    workdir: Path = WORKDIR,
    face: str = typer.Option("lips10", help="The face that speaks."),
    models: Path = typer.Option(None, help="Lip-sync models folder (default: the face's shipped ones)."),
    seed: int = typer.Option(0, help="Seeds the simulated camera."),
) -> None:
    """Render the study's clips: each sentence by ours, nearest-neighbour landmarks and audio amplitude."""
    from mirrorface.speech.corpus import TEST_SENTENCES
    from mirrorface.studio.study import render_clips

    folder = workdir / "study" / "clips"
    manifest = render_clips(folder, list(sentence or TEST_SENTENCES), babble, face, models, seed=seed,
                            progress=lambda text: typer.echo(f"rendering: {text}", err=True))
    typer.echo(f"{folder}: {len(manifest['sentences'])} sentences x {len(manifest['methods'])} methods")


@app.command("analyze")
def analyze(db: Path = typer.Argument(..., help="The study's SQLite file (WORKDIR/study/study.db)."),
            csv: Path = typer.Option(None, help="Also write every answer to this CSV file."),
            plot: Path = typer.Option(None, help="Also draw the choices to this PNG."),
            as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON.")) -> None:
    """The perceptual study's statistics: chi-square against chance, binomial tests, Cohen's w, V, h."""
    import json

    from mirrorface.studio import stats, study

    answers = study.read_answers(db)
    result = stats.analyze(answers, study.METHODS)
    typer.echo(json.dumps(result, indent=2) if as_json else stats.report_text(result))
    if csv is not None:
        csv.write_text(stats.to_csv(answers))
    if plot is not None:
        stats.plot(result, plot)
