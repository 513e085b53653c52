"""Text from a chat model: any OpenAI-compatible endpoint (llama.cpp's server, Ollama, vLLM).

`reply_stream` posts the conversation to `<url>/v1/chat/completions` with `stream: true` and
yields the reply's text as the server-sent events bring it. Only the standard library is used.
Every failure (unreachable, an HTTP error, a malformed event) is a `MirrorfaceError` with one line.
The project runs no network at run time except loopback: another host must be allowed explicitly.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

from mirrorface.errors import MirrorfaceError

TIMEOUT_S = 60.0  # a local model may think for a while before its first token


def completions_url(url: str, allow_remote: bool = False) -> str:
    """The chat-completions address of a server given by its base URL (or the full path)."""
    parsed = urlparse(url)
    try:
        parsed.port  # noqa: B018 (a port that is not a number raises here, not deep inside urllib)
    except ValueError:
        parsed = parsed._replace(scheme="")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise MirrorfaceError(f"--llm must be an http:// or https:// URL, got {url!r}")
    if not allow_remote and not is_loopback(parsed.hostname):
        raise MirrorfaceError(f"{parsed.hostname} is not this machine: mirrorface talks only to loopback unless "
                              "--allow-remote is given")
    path = parsed.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path += "/chat/completions" if path.endswith("/v1") else "/v1/chat/completions"
    return parsed._replace(path=path).geturl()


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost; everything else (0.0.0.0, a LAN address, a name) is not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def reply_stream(url: str, messages: list[dict], model: str | None = None, *, allow_remote: bool = False,
                 timeout_s: float = TIMEOUT_S) -> Iterator[str]:
    """The assistant's reply to `messages` (role/content dicts), in fragments as they are generated."""
    endpoint = completions_url(url, allow_remote)
    body = {"messages": messages, "stream": True, **({"model": model} if model else {})}
    request = urllib.request.Request(endpoint, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue  # comments, event names, blank separators
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                text = _delta(data, endpoint)
                if text:
                    yield text
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip().splitlines()
        raise MirrorfaceError(f"the chat endpoint {endpoint} answered HTTP {exc.code}"
                              + (f": {detail[0]}" if detail else "")) from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MirrorfaceError(f"the chat endpoint {endpoint} could not be reached ({reason})") from None
    except http.client.HTTPException as exc:  # a reply cut short or not HTTP at all
        raise MirrorfaceError(f"the chat endpoint {endpoint} broke off its reply ({type(exc).__name__})") from None


def _delta(data: str, endpoint: str) -> str:
    try:
        event = json.loads(data)
        if "error" in event:
            raise MirrorfaceError(f"the chat endpoint {endpoint} reported an error: {event['error']}")
        choices = event.get("choices") or [{}]
        return choices[0].get("delta", {}).get("content") or ""
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        raise MirrorfaceError(f"the chat endpoint {endpoint} sent an event that is not chat JSON ({exc})") from None
