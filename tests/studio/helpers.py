"""A real studio (`mirrorface studio` in its own process on a free loopback port) and Debian's
chromium, for the studio tests and their fixtures (conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
                 "--use-fake-ui-for-media-stream"]
SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Studio:
    """A running `mirrorface studio` process."""

    def __init__(self, workdir: Path, *args: str, host: str = "127.0.0.1"):
        self.port, self.workdir = free_port(), workdir
        path = f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
        env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mirrorface", "studio", "--host", host, "--port", str(self.port),
             "--workdir", str(workdir), "--data", str(workdir / "data"), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.banner = self.process.stdout.readline().strip()  # "mirrorface studio: http://..."
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = self.process.stdout.read()
                    raise RuntimeError(f"the studio did not start: {self.banner} {output}") from None
                time.sleep(0.1)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.process.stdout.close()


def launch(playwright, *extra: str):
    """Debian's chromium, headless: Playwright only drives it."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra])
