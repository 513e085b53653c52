"""`mirrorface`: one command, one subcommand per job. Errors are one line and exit non-zero.

Exit codes: 0 success, 1 bad input (a `MirrorfaceError`), 2 bad usage (unknown option or
value), 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

from mirrorface.cli import babble, dataset, evaluate, face
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
app.command("babble")(babble.babble)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also the console-script entry point)."""
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
    sys.exit(main())
