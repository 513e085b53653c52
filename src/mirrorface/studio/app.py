"""The studio's web app: the page, its API and its WebSockets, one FastAPI application.

`create_app(StudioConfig(...))` builds it; `server.serve` runs it under uvicorn. The views'
engines live in their own modules (speak, study, coexpress, datasets, chat); this file and the
`api_*` modules only translate between them and HTTP.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from mirrorface.studio.asgi_guard import Guard

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class StudioConfig:
    workdir: Path = Path("out/studio")  # uploads, spoken files, the study's clips and database
    token: str | None = None  # demanded by every API call and WebSocket when set
    speak_face: str = "lips10"  # the face that speaks (its lip-sync models must exist)
    coexpress_face: str = "emo26"  # the face that answers the webcam
    models: Path | None = None  # lip-sync models folder (default: the speaking face's shipped ones)
    data_roots: tuple[Path, ...] = (Path("data"), Path("out"))  # where the Data view looks for datasets
    babble_data: Path | None = None  # the babbling set the study's nearest-landmarks baseline draws from
    chat_url: str | None = None  # an OpenAI-compatible chat model's address (see chat.py)
    seed: int = 0


@dataclass
class Studio:
    """What the routes share: the configuration, engines loaded once, one lock per face."""

    config: StudioConfig
    _engines: dict = field(default_factory=dict)
    _loading: threading.Lock = field(default_factory=threading.Lock)
    face_locks: dict = field(default_factory=dict)
    babble_runs: dict = field(default_factory=dict)  # job id -> datasets.BabbleRun

    def engine(self, name: str, load):
        """A model-holding object, loaded on first use (thread-safe; loading takes seconds)."""
        with self._loading:
            if name not in self._engines:
                self._engines[name] = load()
            return self._engines[name]

    def close(self) -> None:
        """Release every face an engine holds."""
        for engine in self._engines.values():
            if hasattr(engine, "close"):
                engine.close()

    def loaded(self) -> set[str]:
        return set(self._engines)

    def face_lock(self, face: str) -> asyncio.Lock:
        """One performance at a time per face: a face cannot say two sentences at once."""
        return self.face_locks.setdefault(face, asyncio.Lock())

    def speaker(self):
        from mirrorface.studio.speak import Speaker

        c = self.config
        return self.engine("speaker", lambda: Speaker.load(c.speak_face, c.models, c.seed))


def create_app(config: StudioConfig, preload: bool = True) -> Guard:
    """The ASGI application: the FastAPI app behind the security guard."""
    from mirrorface.studio import api_coexpress, api_data, api_speak, api_study

    studio = Studio(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        for run in studio.babble_runs.values():  # babbling resumes where it stopped: stopping loses nothing
            run.stop()
        studio.close()

    app = FastAPI(title="mirrorface studio", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.studio = studio
    for module in (api_speak, api_study, api_coexpress, api_data):
        app.include_router(module.router)

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if preload:  # the first Speak should not wait for the models to load
        threading.Thread(target=studio.speaker, daemon=True, name="studio-preload").start()
    return Guard(app, config.token)
