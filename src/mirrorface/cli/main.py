"""`mirrorface`: one command, one subcommand per job. Errors are one line and exit non-zero.

Exit codes: 0 success, 1 bad input (a `MirrorfaceError`), 2 bad usage (unknown option or
value), 130 interrupted.
"""

from __future__ import annotations

import os
import sys

import typer

from mirrorface.cli import babble, calibrate, coexpress, dataset, evaluate, export, face, say, speech, train
from mirrorface.errors import MirrorfaceError

app = typer.Typer(
    name="mirrorface",
    help="Lip sync and anticipatory expressions for robot faces, learned from self-observation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(face.app, name="face")
app.add_typer(dataset.app, name="dataset")
app.add_typer(evaluate.app, name="eval")
app.add_typer(train.app, name="train")
app.add_typer(export.app, name="export")
app.command("babble")(babble.babble)
app.command("coexpress")(coexpress.coexpress)
app.command("phonemes")(speech.phonemes)
app.command("target")(speech.target)
app.command("cues")(speech.cues)
app.command("target-suite")(speech.target_suite)
app.command("say")(say.say)
app.command("calibrate")(calibrate.calibrate)


def _silence_native_stderr() -> None:
    """Keep Python's stderr, but send what C/C++ libraries write to descriptor 2 to /dev/null.

    TFLite and absl (inside MediaPipe) print start-up banners from their own threads at
    unpredictable moments; the CLI promises quiet output and one-line errors. Set
    MIRRORFACE_NATIVE_LOGS=1 to see them.
    """
    if os.environ.get("MIRRORFACE_NATIVE_LOGS") == "1":
        return
    try:
        sys.stderr.flush()
        python_stderr = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return  # no usable descriptor 2: nothing to protect
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = open(python_stderr, "w", buffering=1, encoding="utf-8", errors="replace")  # noqa: SIM115


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="mirrorface", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        print(f"error: {' '.join(message.split())}", file=sys.stderr)
        return 2
    except MirrorfaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a path that cannot be read or written: the user's to fix
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: what was recorded so far is kept", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    """The console-script entry point."""
    _silence_native_stderr()
    sys.exit(main())
