"""What the command-line tests share: a command started as a person starts it, and interrupted."""

import signal
import subprocess
import sys
import time
from collections.abc import Callable


def ctrl_c_as_in_a_terminal():
    """A job started in the background of a script inherits SIGINT ignored; a terminal's is not."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted(args: list[str], ready: Callable[[], bool], give_up_s: float, **popen) -> tuple[int, str, str]:
    """Run `mirrorface args`, press Ctrl-C once `ready()` (or after `give_up_s`); its exit code, stdout, stderr."""
    process = subprocess.Popen([sys.executable, "-m", "mirrorface", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_as_in_a_terminal, **popen)
    try:
        give_up = time.monotonic() + give_up_s
        while time.monotonic() < give_up and process.poll() is None and not ready():
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, out, err
