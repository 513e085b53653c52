"""Run the studio under uvicorn: loopback by default, a token for any other address."""

from __future__ import annotations

from dataclasses import replace

from mirrorface.studio.app import StudioConfig, create_app
from mirrorface.studio.security import resolve_token


def address(host: str, port: int, token: str | None) -> str:
    """The address to open in a browser (the token rides in the query: the page picks it up)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(config: StudioConfig, host: str = "127.0.0.1", port: int = 8765, announce=print) -> None:
    """Block serving the studio until interrupted. Refuses a non-loopback host without a token."""
    import uvicorn

    config = replace(config, token=resolve_token(host, config.token))
    announce(f"mirrorface studio: {address(host, port, config.token)}")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", ws_max_size=4 * 1024 * 1024)
