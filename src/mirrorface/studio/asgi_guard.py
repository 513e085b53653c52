"""The security rules of `security` as one ASGI layer in front of every API route and WebSocket."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from mirrorface.studio.security import same_origin, token_ok

GUARDED = ("/api/", "/ws/")  # the page itself and its static files are public: they move nothing


class Guard:
    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket") and scope["path"].startswith(GUARDED):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
            problem = None
            if not same_origin(headers):
                problem = (403, "requests from another site's page are refused")
            elif not token_ok(self.token, headers, query):
                problem = (401, "this studio needs its token: open the address it printed")
            if problem is not None:
                await self._refuse(scope, send, *problem)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(scope, send, status: int, message: str) -> None:
        if scope["type"] == "websocket":  # closing before accepting answers the handshake with 403
            await send({"type": "websocket.close", "code": 4000 + status, "reason": message})
            return
        body = json.dumps({"detail": message}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
