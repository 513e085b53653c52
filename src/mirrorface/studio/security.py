"""Who may move the face: loopback by default, a token for anything else, same-origin requests only.

The page moves motors and writes files, so:
- the server binds to 127.0.0.1 unless told otherwise, and refuses another address without a
  token (`resolve_token`);
- with a token set, every API call and WebSocket must carry it (header `X-Studio-Token`, or the
  `token` query parameter where a browser cannot set headers: WebSockets, download links);
- a request that names an Origin must come from the studio's own page, so that another web page
  open in the same browser cannot drive the face through the loopback address (cross-site
  WebSocket hijacking: browsers do not apply the same-origin policy to WebSockets).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.llm import is_loopback

TOKEN_HEADER = "x-studio-token"
AUTO = "auto"  # --token auto: generate one and print it


def resolve_token(host: str, token: str | None) -> str | None:
    """The token the server will demand: None on loopback without one; refuses another bind without one."""
    if token == AUTO:
        return secrets.token_urlsafe(18)
    if token is not None and len(token) < 8:
        raise MirrorfaceError("the token must be at least 8 characters (or `--token auto` to generate one)")
    if token is None and not is_loopback(host):
        raise MirrorfaceError(f"binding to {host} lets other machines move the face: give --token SECRET "
                              "(or --token auto to generate one)")
    return token


def token_ok(expected: str | None, headers, query) -> bool:
    """True when no token is set, or the request carries it (constant-time comparison)."""
    if expected is None:
        return True
    given = headers.get(TOKEN_HEADER) or query.get("token") or ""
    return hmac.compare_digest(given.encode(), expected.encode())


def same_origin(headers) -> bool:
    """A request without an Origin (curl, a script) passes; a browser's must name this server."""
    origin = headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == (headers.get("host") or "").lower()
