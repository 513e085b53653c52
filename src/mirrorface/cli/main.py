"""`mirrorface`: one command, one subcommand per job. Errors are one line and exit non-zero.

Exit codes: 0 success, 1 bad input (a `MirrorfaceError`), 2 bad usage (unknown option or
value), 130 interrupted.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from typer.core import TyperGroup

from mirrorface.errors import MirrorfaceError

INTERRUPTED = 130  # the shell's code for a process ended by SIGINT

HELP = "Lip sync and anticipatory expressions for robot faces, learned from self-observation."
# name -> (module, attribute: a Typer group or a command function, one-line help). A command's
# module is imported only when that command runs (or its own --help is asked for): `mirrorface
# --help` and `mirrorface say` do not wait for the dataset, training or coexpression code.
COMMANDS = {
    "calibrate": ("calibrate", "calibrate", "Measure each actuator's ends and neutral on a real face; write the "
                  "calibration beside its spec."),
    "babble": ("babble", "babble", "Babble: random safe commands on the face while it watches itself; "
               "record everything."),
    "chat": ("chat", "chat", "Chat: each line you type goes to the chat model; the face speaks the streamed "
                             "reply live."),
    "coexpress": ("coexpress", "coexpress", "Run the coexpression loop: a person (synthetic, video or webcam) in, "
                  "the robot's face out."),
    "cues": ("speech", "cues", "Mouth cues in Rhubarb Lip Sync's JSON or TSV format (shapes A-H and X)."),
    "dataset": ("dataset", "app", "Inspect recorded datasets."),
    "emulate": ("hardware", "emulate", "Emulate a face's servo bus on a pseudo-terminal until Ctrl-C (or an injected "
                "disconnect)."),
    "eval": ("evaluate", "app", "Measure faces and models."),
    "export": ("export", "app", "Export the deployed models."),
    "face": ("face", "app", "List, inspect and render face specs."),
    "phonemes": ("speech", "phonemes", "Print the phoneme timeline: start and end (ms), eSpeak phoneme, viseme."),
    "say": ("say", "say", "Say something: TTS (or your audio), target frames, VAE, FAT, executed on the face."),
    "target": ("speech", "target", "Synthesize the speaking target: the face's own frames with the target mouth, "
               "plus audio."),
    "target-suite": ("speech", "target_suite", "Targets for all of the lip-sync paper's material: its 3 test "
                     "sentences, 6 word groups, 11 languages."),
    "studio": ("studio", "app", "The studio: drive, watch and evaluate the face in a web page."),
    "train": ("train", "app", "Train the learned models."),
}


class LazyCommands(TyperGroup):
    """The top-level group: it imports a command's module only when the command is used."""

    def list_commands(self, ctx) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        target = getattr(importlib.import_module(f"mirrorface.cli.{module}"), attribute)
        parent = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
        parent.callback()(lambda: None)  # a group, whatever it holds, so the command keeps its own name
        if isinstance(target, typer.Typer):
            parent.add_typer(target, name=name)
        else:
            parent.command(name)(target)
        return typer.main.get_command(parent).get_command(ctx, name)

    def format_commands(self, ctx, formatter) -> None:
        with formatter.section("Commands"):  # from the table: listing them imports nothing
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])


app = LazyCommands(name="mirrorface", help=HELP, no_args_is_help=True, rich_markup_mode=None)


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
    command = app
    try:
        # Outside standalone mode typer turns an exit (Ctrl-C included, as 130) into a return value.
        code = command.main(args=argv, prog_name="mirrorface", standalone_mode=False)
        if code == INTERRUPTED:
            raise KeyboardInterrupt
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
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
        return INTERRUPTED
    return code if isinstance(code, int) else 0


def run() -> None:
    """The console-script entry point."""
    _silence_native_stderr()
    sys.exit(main())
