"""Who may move the face: loopback by default, a token for anything else, same-origin only, bounded uploads.

Against a real `mirrorface studio` process over real HTTP and WebSockets.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import wave

import numpy as np
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from mirrorface.cli.main import main
from mirrorface.errors import MirrorfaceError
from mirrorface.studio.security import is_loopback, resolve_token
from mirrorface.studio.uploads import MAX_BYTES

from .helpers import Studio

# Every route that moves the face or writes a file, with a body that gets past the guard.
MOVING_OR_WRITING = [("POST", "/api/upload", b"x"), ("POST", "/api/study/answer", b"{}"),
                     ("POST", "/api/babble", b"{}"), ("POST", "/api/chat", b"{}")]
SOCKETS = ["/ws/speak", "/ws/coexpress"]


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wav_bytes(seconds: float = 0.5, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes((0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes())
    return out.getvalue()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """Bound to every address with a generated token: the banner prints it."""
    server = Studio(tmp_path_factory.mktemp("guarded"), "--token", "auto", host="0.0.0.0")
    server.token = server.banner.split("token=")[1]
    yield server
    server.close()


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")


def test_a_non_loopback_bind_needs_a_token():
    with pytest.raises(MirrorfaceError, match="--token"):
        resolve_token("0.0.0.0", None)
    assert resolve_token("127.0.0.1", None) is None
    assert len(resolve_token("0.0.0.0", "auto")) >= 16
    assert resolve_token("auto", "auto") != resolve_token("auto", "auto")


def test_the_command_refuses_a_non_loopback_bind_without_a_token(capsys):
    assert main(["studio", "--host", "0.0.0.0", "--port", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "--token" in err[0]


def test_the_default_bind_is_loopback_only(studio):
    """The kernel's table of listening sockets: the studio's port is bound to 127.0.0.1, nothing wider."""
    assert studio.banner == f"mirrorface studio: http://127.0.0.1:{studio.port}/"
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port = local.rsplit(":", 1)
                if int(port, 16) == studio.port and state == "0A":
                    listening.append(address)
    assert listening == ["0100007F"]  # 127.0.0.1, little-endian hex


def test_the_token_is_printed_and_demanded_from_moving_and_writing_routes(guarded):
    assert "token=" in guarded.banner
    for method, path, body in MOVING_OR_WRITING:
        status, text = request(guarded.url + path, method, body)
        assert status == 401, (path, status, text)
        assert "token" in json.loads(text)["detail"]
        wrong, _ = request(guarded.url + path, method, body, {"X-Studio-Token": "not-the-token"})
        assert wrong == 401
        right, _ = request(guarded.url + path, method, body, {"X-Studio-Token": guarded.token,
                                                                 "content-type": "application/json"})
        assert right not in (401, 403), path  # past the guard: the route itself answers


def test_websockets_need_the_token(guarded):
    ws_url = guarded.url.replace("http", "ws")
    for path in SOCKETS:
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url + path, open_timeout=10).close()
        assert refused.value.response.status_code == 403
        with connect(f"{ws_url}{path}?token={guarded.token}", open_timeout=10) as ws:
            ws.close()


def test_another_sites_page_is_refused_even_with_the_token(guarded):
    status, _ = request(guarded.url + "/api/upload", "POST", wav_bytes(),
                        {"X-Studio-Token": guarded.token, "Origin": "http://evil.example"})
    assert status == 403
    with pytest.raises(InvalidStatus):
        connect(f"{guarded.url.replace('http', 'ws')}/ws/speak?token={guarded.token}",
                origin="http://evil.example", open_timeout=10).close()


def test_the_page_itself_is_public(guarded):
    status, text = request(guarded.url + "/")
    assert status == 200 and "mirrorface studio" in text


def test_uploads_are_size_limited_and_type_checked(studio):
    upload = studio.url + "/api/upload"
    status, text = request(upload, "POST", b"\0" * (MAX_BYTES + 1))
    assert status == 413 and "limit" in json.loads(text)["detail"]
    status, text = request(upload, "POST", b"GIF89a" + b"\0" * 100)
    assert status == 400 and "not a WAV, FLAC or MP3" in json.loads(text)["detail"]
    corrupt = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\xff" * 64
    status, text = request(upload, "POST", corrupt)
    assert status == 400 and "WAV upload was refused" in json.loads(text)["detail"]
    assert str(studio.workdir) not in text  # the server's paths stay on the server
    assert request(studio.url + "/")[0] == 200  # still serving
    status, text = request(upload, "POST", wav_bytes())
    assert status == 200 and len(json.loads(text)["upload"]) == 16
    assert len(list((studio.workdir / "uploads").iterdir())) == 1  # refused uploads are not kept


def test_the_page_cannot_name_a_path(studio):
    for path in ("/api/datasets/frame?name=../../etc&index=0", "/api/datasets/sheet?name=%2Fetc",
                 "/api/files/speak/..%2F..%2Fuploads/speech.wav", "/api/files/speak/0123456789abcdef/passwd",
                 "/api/study/clip/..%2F..%2F/0/A"):
        assert request(studio.url + path)[0] in (400, 404), path
