"""Coexpress over a WebSocket: the page sends a camera frame, the server answers with one tick.

/ws/coexpress?mode=coexpress|mimic. Each binary message from the page is a JPEG; each answer is
one binary message: uint32 length (little-endian) + that many bytes of JSON (what the tick saw
and did) + a JPEG of the robot's face. The page sends its next frame when the answer arrives.
"""

from __future__ import annotations

import asyncio
import json
import struct

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from mirrorface.errors import MirrorfaceError
from mirrorface.studio.api_speak import jpeg
from mirrorface.studio.coexpress import Answer, WebcamCoexpression

router = APIRouter()


def _parts(studio):
    from mirrorface.coexpression.session import load_parts
    from mirrorface.face.spec import load_spec

    spec = load_spec(studio.config.coexpress_face)
    return spec, load_parts(spec)


def _points(x: np.ndarray | None) -> list | None:
    return None if x is None else np.round(x, 4).tolist()


def encode(answer: Answer) -> bytes:
    t = answer.tick
    info = {"time": round(t.time, 4), "state": t.state, "landmarks": _points(t.landmarks),
            "predicted": _points(answer.predicted), "activation": None if t.activation is None else t.activation.time,
            "sent": np.round(t.sent, 4).tolist(), "work_ms": round(t.seconds * 1000, 2), "missed": t.missed}
    body = json.dumps(info).encode()
    return struct.pack("<I", len(body)) + body + jpeg(answer.robot)


@router.websocket("/ws/coexpress")
async def coexpress(ws: WebSocket) -> None:
    await ws.accept()
    studio = ws.app.state.studio
    mode = ws.query_params.get("mode", "coexpress")
    try:
        spec, parts = await asyncio.to_thread(studio.engine, "coexpress", lambda: _parts(studio))
        lock = studio.face_lock(spec.name)
        if lock.locked():
            raise MirrorfaceError("the face is busy with another session")
        async with lock:
            run = WebcamCoexpression(spec, parts, mode, studio.config.seed)
            await asyncio.to_thread(run.open)
            try:
                while True:
                    frame = await ws.receive_bytes()
                    await ws.send_bytes(encode(await asyncio.to_thread(run.step, frame)))
            finally:
                await asyncio.to_thread(run.close)
    except MirrorfaceError as exc:
        await ws.send_json({"type": "error", "message": str(exc)})
        await ws.close()
    except WebSocketDisconnect:
        pass
