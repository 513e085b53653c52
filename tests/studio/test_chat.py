"""The Chat view in Chromium: a real OpenAI-compatible server on 127.0.0.1 streams its reply, the face speaks it."""

from __future__ import annotations

import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.studio.chat import StudioChat


def url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_the_conversation_keeps_its_history_and_only_talks_to_loopback(chat_server):
    chat = StudioChat()
    assert chat.ask(url(chat_server), "hi") == "Hello there, papa. Nice to meet you."
    assert chat.ask(url(chat_server), "and you?")
    path, body = chat_server.RequestHandlerClass.requests[-1]
    assert path == "/v1/chat/completions" and body["stream"] is True
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    with pytest.raises(MirrorfaceError, match="not this machine"):
        chat.ask("http://192.0.2.1:8080", "hi")
    chat_server.RequestHandlerClass.status = 503
    with pytest.raises(MirrorfaceError, match="HTTP 503"):
        chat.ask(url(chat_server), "again")
    assert len(chat.messages) == 4  # a failed turn is not kept


def test_the_face_speaks_the_reply(page, chat_server):
    page.click("#tabs button[data-view='chat']")
    page.fill("#chat-url", url(chat_server))
    page.fill("#chat-text", "yes")
    page.click("#chat-form button")
    page.wait_for_function("window.studioMetrics && window.studioMetrics.finished && window.studioMetrics.files",
                           timeout=60_000)
    assert page.inner_text("#chat-log").splitlines() == ["you: yes", "face: Hello there, papa. Nice to meet you."]
    assert page.evaluate("window.studioMetrics.frames") > 10
