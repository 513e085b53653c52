"""Speak: upload audio, speak over a WebSocket (audio first, then frames), download the files.

The WebSocket protocol (/ws/speak): the page sends {"text", "lang", "voice", "upload"}; the
server answers {"type": "start", ...}, one binary audio message (b"A" + a WAV file), one binary
message per frame (b"F" + 3 pad bytes + uint32 index + float64 time in s, little-endian, + a JPEG
of target | robot), then {"type": "done", "files": {...}}, or {"type": "error", "message"}.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import struct

import cv2
import numpy as np
from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from mirrorface.errors import MirrorfaceError
from mirrorface.studio import uploads
from mirrorface.studio.speak import FILES

router = APIRouter()
SESSION = re.compile(r"^[0-9a-f]{16}$")
FRAME_HEADER = struct.Struct("<c3xId")  # b"F", pad, index, time (s)
DRAIN_LIMIT = 4 * uploads.MAX_BYTES  # bodies up to this are read to the end to answer them cleanly


def jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, "OpenCV could not encode a JPEG"
    return data.tobytes()


@router.get("/api/speak/options")
def options(request: Request) -> dict:
    from mirrorface.speech.tts import LANGUAGES, VOICES

    return {"languages": list(LANGUAGES), "voices": list(VOICES), "max_upload_bytes": uploads.MAX_BYTES,
            "face": request.app.state.studio.config.speak_face}


@router.post("/api/upload")
async def upload(request: Request) -> dict:
    """The raw body is the file, read in pieces and kept only up to the limit.

    A body over the limit is read to its end and dropped (a reply sent while the browser is still
    sending would reach it as a reset connection, not as the message); far over it, it is refused
    at once.
    """
    too_big = HTTPException(413, f"the upload is larger than the {uploads.MAX_BYTES / 1e6:.0f} MB limit")
    if int(request.headers.get("content-length") or 0) > DRAIN_LIMIT:
        raise too_big
    body, size = bytearray(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= uploads.MAX_BYTES:
            body.extend(chunk)
        elif size > DRAIN_LIMIT:
            raise too_big
    if size > uploads.MAX_BYTES:
        raise too_big
    folder = request.app.state.studio.config.workdir / "uploads"
    try:
        upload_id = await asyncio.to_thread(uploads.store, folder, bytes(body))
    except uploads.UploadError as exc:
        raise HTTPException(400, str(exc)) from None
    return {"upload": upload_id}


@router.get("/api/files/speak/{session}/{name}")
def download(request: Request, session: str, name: str) -> FileResponse:
    path = request.app.state.studio.config.workdir / "speak" / session / name
    if not SESSION.match(session) or name not in FILES.values() or not path.is_file():
        raise HTTPException(404, "no such file")
    return FileResponse(path, filename=name)


@router.websocket("/ws/speak")
async def speak(ws: WebSocket) -> None:
    await ws.accept()
    studio = ws.app.state.studio
    try:
        while True:
            request = await ws.receive_json()
            try:
                await _perform(ws, studio, request)
            except MirrorfaceError as exc:
                await ws.send_json({"type": "error", "message": str(exc)})
    except WebSocketDisconnect:
        pass


async def _perform(ws: WebSocket, studio, request: dict) -> None:
    speaker = await asyncio.to_thread(studio.speaker)
    config = studio.config
    audio = None
    if request.get("upload"):
        audio = uploads.find(config.workdir / "uploads", str(request["upload"]))
    lock = studio.face_lock(speaker.spec.name)
    if lock.locked():
        raise MirrorfaceError("the face is busy with another performance")
    async with lock:
        utt = await asyncio.to_thread(speaker.utterance, request.get("text"), request.get("lang") or "en",
                                      request.get("voice") or None, audio)
        track = await asyncio.to_thread(speaker.track, utt)
        session = secrets.token_hex(8)
        folder = config.workdir / "speak" / session
        wav = (await asyncio.to_thread(speaker.save_audio, folder, utt)).read_bytes()
        await ws.send_json({"type": "start", "session": session, "fps": speaker.spec.camera.fps,
                            "frames": len(track), "duration_s": utt.duration_ms / 1000, "method": utt.method})
        await ws.send_bytes(b"A" + wav)
        frames, stream = [], speaker.frames(track)
        try:
            while (item := await asyncio.to_thread(_next_encoded, stream)) is not None:
                frame, picture = item
                frames.append(frame)
                await ws.send_bytes(FRAME_HEADER.pack(b"F", frame.index, frame.time_s) + picture)
        finally:  # a page that leaves mid-sentence: the face still ends its performance cleanly
            await asyncio.to_thread(stream.close)
        paths = await asyncio.to_thread(speaker.save, folder, utt, frames)
    token = f"?token={config.token}" if config.token else ""
    await ws.send_json({"type": "done", "frames": len(frames),
                        "files": {kind: f"/api/files/speak/{session}/{p.name}{token}" for kind, p in paths.items()}})


def _next_encoded(stream):
    frame = next(stream, None)
    if frame is None:
        return None
    return frame, jpeg(np.concatenate([frame.target, frame.robot], axis=1))
