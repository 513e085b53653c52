"""Data and models: datasets by name, contact sheets, frames, plot series, babbling runs, checkpoints."""

from __future__ import annotations

import asyncio
import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel

from mirrorface.errors import MirrorfaceError
from mirrorface.studio import datasets

router = APIRouter()


def _png(rgb) -> Response:
    import cv2

    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok, "OpenCV could not encode a PNG"
    return Response(data.tobytes(), media_type="image/png")


def _folder(request: Request, name: str):
    found = datasets.find_datasets(request.app.state.studio.config.data_roots)
    if name not in found:
        raise HTTPException(404, f"no dataset named {name!r}")
    return found[name]


@router.get("/api/datasets")
def list_datasets(request: Request) -> list[dict]:
    rows = []
    for name, folder in datasets.find_datasets(request.app.state.studio.config.data_roots).items():
        try:
            rows.append(datasets.summary(name, folder))
        except MirrorfaceError as exc:  # a dataset being written or broken: listed with its problem
            rows.append({"name": name, "error": str(exc)})
    return rows


@router.get("/api/datasets/sheet")
async def sheet(request: Request, name: str) -> Response:
    from mirrorface.data.dataset import Dataset
    from mirrorface.data.sheet import contact_sheet

    folder = _folder(request, name)
    try:
        return _png(await asyncio.to_thread(lambda: contact_sheet(Dataset(folder), 12, 6)))
    except MirrorfaceError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/api/datasets/frame")
async def frame(request: Request, name: str, index: int) -> Response:
    from mirrorface.data.dataset import Dataset

    data = Dataset(_folder(request, name))
    if not 0 <= index < len(data):
        raise HTTPException(404, f"frame {index} is outside 0..{len(data) - 1}")
    return _png(await asyncio.to_thread(data.image, index))


@router.get("/api/datasets/series")
async def series(request: Request, name: str) -> dict:
    return await asyncio.to_thread(datasets.plot_series, _folder(request, name))


class BabbleRequest(BaseModel):
    face: str = "lips10"
    frames: int = 120
    name: str = "studio-babble"


@router.post("/api/babble")
def babble(request: Request, body: BabbleRequest) -> dict:
    studio = request.app.state.studio
    try:
        run = datasets.start_babble(studio.config.data_roots[0], body.name, body.face, body.frames)
    except MirrorfaceError as exc:
        raise HTTPException(400, str(exc)) from None
    job = secrets.token_hex(8)
    studio.babble_runs[job] = run
    return {"job": job}


@router.get("/api/babble/{job}")
def babble_progress(request: Request, job: str) -> dict:
    run = request.app.state.studio.babble_runs.get(job)
    if run is None:
        raise HTTPException(404, "no such babbling run")
    return run.progress()


@router.get("/api/models")
def models(request: Request) -> list[dict]:
    studio = request.app.state.studio
    loaded = set()
    if "speaker" in studio.loaded() and studio.config.models is None:  # the speaking face's shipped models
        loaded |= {f"{studio.config.speak_face}/vae", f"{studio.config.speak_face}/fat"}
    if "coexpress" in studio.loaded():
        loaded |= {"inverse", "predictive"}
    return datasets.checkpoints(loaded)


class ChatRequest(BaseModel):
    url: str = ""
    text: str = ""


@router.post("/api/chat")
async def chat(request: Request, body: ChatRequest) -> dict:
    """The chat model's reply to what the person typed; the page then speaks it through /ws/speak."""
    from mirrorface.studio.chat import StudioChat

    studio = request.app.state.studio
    conversation = studio.engine("chat", StudioChat)
    try:
        return {"reply": await asyncio.to_thread(conversation.ask, body.url or studio.config.chat_url or "",
                                                 body.text)}
    except MirrorfaceError as exc:
        raise HTTPException(400, str(exc)) from None
