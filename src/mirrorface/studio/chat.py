"""ADAPTER until the real-time runtime's conversation mode lands: ask a chat endpoint, speak its reply.

The runtime issue's `mirrorface chat` will own the conversation (listening, turn taking, speaking
live on the audio clock). Until it is merged, the Chat view posts what the person typed to an
endpoint and speaks the reply with the Speak view's engine. The protocol is the smallest that
any local model server can be wrapped in: POST {"text": "..."} as JSON, answer {"reply": "..."}.
Only loopback endpoints are allowed: the package talks to no network at run time.
Replace `ask` (and the page's use of it) with the runtime's chat client when it exists.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from mirrorface.errors import MirrorfaceError
from mirrorface.studio.security import is_loopback

TIMEOUT_S = 30.0
MAX_REPLY = 500  # characters the face will say (the Speak engine's limit)


def ask(url: str, text: str) -> str:
    """The endpoint's reply to `text`; one clear error for every way it can fail."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MirrorfaceError(f"the chat endpoint must be an http:// address, got {url!r}")
    if not is_loopback(parts.hostname):
        raise MirrorfaceError(f"the chat endpoint must be on this machine (loopback), not {parts.hostname}")
    if not text.strip():
        raise MirrorfaceError("type something to say to the endpoint")
    request = urllib.request.Request(url, json.dumps({"text": text}).encode(), {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            reply = json.loads(response.read()).get("reply")
    except (urllib.error.URLError, OSError) as exc:
        raise MirrorfaceError(f"the chat endpoint did not answer: {getattr(exc, 'reason', exc)}") from None
    except (json.JSONDecodeError, AttributeError):
        raise MirrorfaceError('the chat endpoint must answer JSON {"reply": "..."}') from None
    if not isinstance(reply, str) or not reply.strip():
        raise MirrorfaceError('the chat endpoint must answer JSON {"reply": "..."} with some text')
    return reply.strip()[:MAX_REPLY]
