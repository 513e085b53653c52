"""Shared fixtures: built-in specs, a connected simulated face, a small babbling dataset and quick
lip-sync models trained on it by the package's own functions."""

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

os.environ.setdefault("GLOG_minloglevel", "2")
# One intra-op thread: the tests' models are tiny, and on a busy 2-core machine torch's second
# thread makes them wait for each other (tests/training ran 46 s with two threads, 8 s with one).
os.environ.setdefault("OMP_NUM_THREADS", "1")

from mirrorface.cli.main import main  # noqa: E402
from mirrorface.face.spec import load_spec, spec_path  # noqa: E402
from mirrorface.hardware.sim import SimFace  # noqa: E402
from mirrorface.lipsync.train_fat import QUICK_MODEL as FAT_QUICK  # noqa: E402
from mirrorface.lipsync.train_fat import FATTraining, train_fat  # noqa: E402
from mirrorface.lipsync.train_vae import QUICK_MODEL as VAE_QUICK  # noqa: E402
from mirrorface.lipsync.train_vae import VAETraining, train_vae  # noqa: E402
from mirrorface.models.vae import VAE, VAEConfig  # noqa: E402
from mirrorface.training.checkpoint import load_model  # noqa: E402

from .cli.helpers import ctrl_c_as_in_a_terminal  # noqa: E402


@pytest.fixture(scope="session")
def lips10():
    return load_spec("lips10")


@pytest.fixture(scope="session")
def emo26():
    return load_spec("emo26")


@pytest.fixture
def sim_face(lips10):
    with SimFace(lips10, seed=0) as face:
        yield face


@pytest.fixture(scope="session")
def babble_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("babble") / "lips10"
    assert main(["babble", "--face", "lips10", "--frames", "240", "--episode-frames", "120",
                 "--out", str(root), "--quiet"]) == 0
    return root


@pytest.fixture(scope="session")
def quick_models(babble_data, tmp_path_factory):
    """A folder with vae/ and fat/ trained by the package's own functions, a few steps each."""
    folder = tmp_path_factory.mktemp("models")
    train_vae(babble_data, folder / "vae", VAETraining.quick(), VAE_QUICK)
    vae = load_model(VAE, VAEConfig, folder / "vae")
    train_fat(vae, babble_data, folder / "fat", FATTraining.quick(), FAT_QUICK)
    return folder


# -- a chat model: an OpenAI-compatible server on 127.0.0.1 streaming its reply (for chat and the studio)

CHAT_REPLY = ["Hello", " there", ", papa.", " Nice", " to meet", " you."]


class ChatServer(BaseHTTPRequestHandler):
    """/v1/chat/completions with stream=true, as llama.cpp's server answers it; `status` != 200 fails."""

    status = 200
    requests: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, body))
        if self.status != 200:
            self.send_error(self.status, "model not loaded")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in CHAT_REPLY:
            event = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def chat_server():
    ChatServer.requests, ChatServer.status = [], 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _servo_face_toml(face: str, bus: str, port: str | None = None, **bus_fields) -> str:
    """A face's spec (built-in name or face.toml path) on a `bus`: servo ids 1..n, the simulated
    camera filming it."""
    text = spec_path(face).read_text(encoding="utf-8")
    text = re.sub(r"^index = (\d+)$", lambda m: f"{m.group(0)}\nservo_id = {int(m.group(1)) + 1}", text, flags=re.M)
    text = text.replace("[camera]\n", '[camera]\ndevice = "sim"\n')
    fields = {"type": bus, **({"port": port} if port else {}), **bus_fields}
    lines = "\n".join(f"{k} = {v!r}".replace("'", '"').replace("True", "true").replace("False", "false")
                      for k, v in fields.items())
    return re.sub(r"^\[bus\]\ntype = \"sim\"\n", f"[bus]\n{lines}\n", text, flags=re.M)


@pytest.fixture
def servo_face_toml():
    """`servo_face_toml(face, bus, port=None, **bus_fields)`: a built-in face's spec text on a servo bus."""
    return _servo_face_toml


class EmulatorProcess:
    """`mirrorface emulate` in a subprocess, with the face spec pointed at its port."""

    def __init__(self, tmp: Path, face: str, bus: str, *args: str, **bus_fields):
        self.spec_file = tmp / f"{Path(face).stem}-{bus}.toml"
        self.spec_file.write_text(_servo_face_toml(face, bus, **bus_fields), encoding="utf-8")
        self.log = tmp / f"{Path(face).stem}-{bus}.received.jsonl"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mirrorface", "emulate", bus, "--face", str(self.spec_file),
             "--calibration-out", str(self.spec_file.with_name(self.spec_file.stem + ".calibration.json")),
             "--log", str(self.log), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_as_in_a_terminal)
        first = self.proc.stdout.readline()
        assert first.startswith("port: "), first + self.proc.stderr.read()
        self.port = first.removeprefix("port: ").strip()
        self.spec_file.write_text(_servo_face_toml(face, bus, self.port, **bus_fields), encoding="utf-8")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def emulator(tmp_path):
    """Start emulators: `emulator(face, bus, *emulate_args, **bus_fields)`; all stop at the end."""
    started = []

    def start(face: str, bus: str, *args: str, **bus_fields) -> EmulatorProcess:
        started.append(EmulatorProcess(tmp_path, face, bus, *args, **bus_fields))
        return started[-1]

    yield start
    for process in started:
        process.stop()
