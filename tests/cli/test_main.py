"""The command table: every command is there, with its own help, and listing them imports none of them."""

import importlib
import subprocess
import sys

import typer

from mirrorface.cli.main import COMMANDS


def test_each_listed_help_is_the_first_line_of_the_commands_own():
    for name, (module, attribute, listed) in COMMANDS.items():
        target = getattr(importlib.import_module(f"mirrorface.cli.{module}"), attribute)
        own = target.info.help if isinstance(target, typer.Typer) else target.__doc__
        assert own.strip().splitlines()[0] == listed, name


def test_help_imports_no_command_module():
    code = ("import sys; from mirrorface.cli.main import main; main(['--help']); "
            "print(sorted(m for m in sys.modules if m.startswith('mirrorface.cli.') and m != 'mirrorface.cli.main'))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1] == "[]", result.stdout
    assert "target-suite" in result.stdout
