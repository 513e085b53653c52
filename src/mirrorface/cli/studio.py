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
           chat_url: str = typer.Option(None, help="The conversation endpoint the Chat view talks to."),
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
