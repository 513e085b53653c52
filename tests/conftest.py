"""Shared fixtures: built-in specs, a connected simulated face, a small babbling dataset and quick
lip-sync models trained on it by the package's own functions."""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

os.environ.setdefault("GLOG_minloglevel", "2")
# One intra-op thread: the tests' models are tiny, and on a busy 2-core machine torch's second
# thread makes them wait for each other (tests/training ran 46 s with two threads, 8 s with one).
os.environ.setdefault("OMP_NUM_THREADS", "1")

from mirrorface.cli.main import main  # noqa: E402
from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.hardware.sim import SimFace  # noqa: E402
from mirrorface.lipsync.train_fat import QUICK_MODEL as FAT_QUICK  # noqa: E402
from mirrorface.lipsync.train_fat import FATTraining, train_fat  # noqa: E402
from mirrorface.lipsync.train_vae import QUICK_MODEL as VAE_QUICK  # noqa: E402
from mirrorface.lipsync.train_vae import VAETraining, train_vae  # noqa: E402
from mirrorface.models.vae import VAE, VAEConfig  # noqa: E402
from mirrorface.training.checkpoint import load_model  # noqa: E402


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
