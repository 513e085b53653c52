"""The Chat view's conversation: the same chat model client and history as `mirrorface chat`.

What the person types goes to an OpenAI-compatible endpoint (llama.cpp's server, Ollama, vLLM:
`speech.llm.reply_stream`, loopback only: the package talks to no network at run time); the
streamed reply is collected, kept in the conversation's history, and the page speaks it through
the Speak view's engine, so the browser hears and sees it exactly as a typed sentence.
"""

from __future__ import annotations

import threading

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.llm import reply_stream

MAX_REPLY = 500  # characters the face will say (the Speak engine's limit)


class StudioChat:
    """One conversation per studio: the history grows with each turn, as in `mirrorface chat`."""

    def __init__(self, system: str | None = None):
        self.messages: list[dict] = [{"role": "system", "content": system}] if system else []
        self._lock = threading.Lock()  # one turn at a time: the history is a sequence

    def ask(self, url: str, text: str) -> str:
        """The model's reply to `text`; one clear error for every way it can fail (the turn is then forgotten)."""
        if not text.strip():
            raise MirrorfaceError("type something to say to the chat model")
        with self._lock:
            turn = [*self.messages, {"role": "user", "content": text.strip()}]
            reply = "".join(reply_stream(url, turn)).strip()
            if not reply:
                raise MirrorfaceError("the chat model answered nothing")
            self.messages = [*turn, {"role": "assistant", "content": reply}]
        return reply[:MAX_REPLY]
