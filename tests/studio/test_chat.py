"""The Chat view's adapter in Chromium: a real loopback endpoint answers, the face speaks the reply."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.studio.chat import ask


class Echo(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802  (http.server's naming)
        text = json.loads(self.rfile.read(int(self.headers["content-length"])))["text"]
        body = json.dumps({"reply": f"You said {text}."}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/chat"
    server.shutdown()
    server.server_close()


def test_only_loopback_endpoints_are_asked(endpoint):
    assert ask(endpoint, "hi") == "You said hi."
    with pytest.raises(MirrorfaceError, match="loopback"):
        ask("http://example.org/chat", "hi")
    with pytest.raises(MirrorfaceError, match="did not answer"):
        ask("http://127.0.0.1:9/chat", "hi")


def test_the_face_speaks_the_reply(page, endpoint):
    page.click("#tabs button[data-view='chat']")
    page.fill("#chat-url", endpoint)
    page.fill("#chat-text", "yes")
    page.click("#chat-form button")
    page.wait_for_function("window.studioMetrics && window.studioMetrics.finished && window.studioMetrics.files",
                           timeout=60_000)
    assert page.inner_text("#chat-log").splitlines() == ["you: yes", "face: You said yes."]
    assert page.evaluate("window.studioMetrics.frames") > 10
