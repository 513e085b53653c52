"""The study's routes: a participant's trials, blinded clips, answers, and the analysis."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import BaseModel

from mirrorface.errors import MirrorfaceError
from mirrorface.studio import stats, study

router = APIRouter()


def _paths(request: Request) -> tuple[Path, Path]:
    root = request.app.state.studio.config.workdir / "study"
    return root / "clips", root / "study.db"


def _trials(request: Request, participant: str) -> tuple[dict, list[study.Trial]]:
    clips, _ = _paths(request)
    try:
        manifest = study.read_manifest(clips)
        return manifest, study.trials(participant, len(manifest["sentences"]))
    except MirrorfaceError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/api/study/session")
def session(request: Request, participant: str) -> dict:
    """The participant's trials, as opaque clip addresses (positions only, never methods)."""
    _, trials = _trials(request, participant)
    _, db = _paths(request)
    return {"trials": [{"trial": t.index, "clips": [f"/api/study/clip/{participant}/{t.index}/{p}"
                                                    for p in study.POSITIONS]} for t in trials],
            "answered": sorted(study.AnswerStore(db).answered(participant))}


@router.get("/api/study/clip/{participant}/{trial}/{position}")
def clip(request: Request, participant: str, trial: int, position: str) -> FileResponse:
    manifest, trials = _trials(request, participant)
    if not 0 <= trial < len(trials) or position not in study.POSITIONS:
        raise HTTPException(404, "no such clip")
    t = trials[trial]
    name = manifest["sentences"][t.sentence]["clips"][t.shown[study.POSITIONS.index(position)]]
    return FileResponse(_paths(request)[0] / name, media_type="video/mp4")


class Answer(BaseModel):
    participant: str
    trial: int
    position: str


@router.post("/api/study/answer")
def answer(request: Request, body: Answer) -> dict:
    manifest, trials = _trials(request, body.participant)
    if not 0 <= body.trial < len(trials):
        raise HTTPException(400, f"no trial {body.trial}")
    t = trials[body.trial]
    try:
        study.AnswerStore(_paths(request)[1]).record(body.participant, t, manifest["sentences"][t.sentence]["text"],
                                                    body.position)
    except MirrorfaceError as exc:
        raise HTTPException(409, str(exc)) from None
    return {"saved": True, "remaining": len(trials) - body.trial - 1}


def _answers(request: Request) -> list[dict]:
    try:
        return study.read_answers(_paths(request)[1])
    except MirrorfaceError as exc:
        raise HTTPException(404, str(exc)) from None


def _analyzed(request: Request) -> dict:
    """The statistics of the stored answers; 404 with the reason when there are none to analyze."""
    try:
        return stats.analyze(_answers(request), study.METHODS)
    except MirrorfaceError as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/api/study/analysis")
def analysis(request: Request) -> dict:
    result = _analyzed(request)
    return {"result": result, "text": stats.report_text(result)}


@router.get("/api/study/plot.png")
def plot(request: Request) -> FileResponse:
    result = _analyzed(request)
    path = stats.plot(result, request.app.state.studio.config.workdir / "study" / "study.png")
    return FileResponse(path, media_type="image/png", headers={"cache-control": "no-store"})


@router.get("/api/study/answers.csv")
def answers_csv(request: Request) -> PlainTextResponse:
    return PlainTextResponse(stats.to_csv(_answers(request)), media_type="text/csv",
                             headers={"content-disposition": "attachment; filename=study-answers.csv"})
