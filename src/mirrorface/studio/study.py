"""The lip-sync paper's perceptual study: which of three videos of a sentence looks most natural?

Each trial shows one sentence performed by our method and the two baselines the paper's survey
used (nearest-neighbour landmarks and audio amplitude, `eval.lipsync`), as the face's camera saw
them, with the speech. The page sees the clips only as positions A, B and C: which method is
where is drawn per participant and trial (seeded by the participant's code, so it can be
recomputed and audited) and never sent to the browser.

Clips are rendered once (`render_clips`, or `mirrorface studio render-study`) into
`<workdir>/study/clips/` with a manifest. Answers go to one SQLite file in WAL mode, one row
per answer, each committed on its own before the page hears "saved", so a crash loses nothing
that was confirmed; a repeated answer to the same trial is refused, not double-counted.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError

METHODS = ("ours", "nearest_landmarks", "amplitude")  # the paper's survey: ours and the first two baselines
POSITIONS = "ABC"
MANIFEST = "manifest.json"
SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    participant TEXT NOT NULL,
    trial INTEGER NOT NULL,
    sentence TEXT NOT NULL,
    shown TEXT NOT NULL,          -- the methods at positions A, B, C (JSON list)
    chosen TEXT NOT NULL,         -- the chosen method
    position TEXT NOT NULL,       -- the chosen position (A, B or C)
    answered_at REAL NOT NULL,    -- Unix time
    UNIQUE (participant, trial)
)"""


def render_clips(folder: Path, sentences: list[str], babble: Path, face: str = "lips10",
                 models: Path | None = None, lang: str = "en", seed: int = 0,
                 progress: Callable[[str], None] | None = None) -> dict:
    """Perform every sentence with each of METHODS on the simulated face; MP4 with audio each.

    Writes folder/<sentence index>-<method>.mp4 and folder/manifest.json; returns the manifest.
    """
    from mirrorface.articulation.sources import from_text, track_of
    from mirrorface.data.dataset import Dataset
    from mirrorface.eval.lipsync import Context, method_commands, our_commands
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.sim import SimFace
    from mirrorface.lipsync.execute import execute
    from mirrorface.lipsync.speak import LipSyncModels
    from mirrorface.media import write_mp4
    from mirrorface.targets.frames import speaking_frames

    if not sentences:
        raise MirrorfaceError("the study needs at least one sentence")
    if not babble.exists():
        raise MirrorfaceError(f"{babble}: no babbling dataset (the nearest-landmarks baseline draws from one; "
                              f"record it with `mirrorface babble --face {face} --out {babble}`)")
    spec = load_spec(face)
    lipsync = LipSyncModels.load(spec, models)
    data = Dataset(babble)
    if data.spec().name != spec.name:
        raise MirrorfaceError(f"{babble} was recorded on face {data.spec().name!r}, not {spec.name!r}")
    ctx = Context.load(spec, lipsync, lipsync.vae, data, seed)  # the scorer is unused: nothing is scored here
    fps = spec.camera.fps
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"face": spec.name, "methods": list(METHODS), "sentences": []}
    for index, text in enumerate(sentences):
        if progress is not None:
            progress(text)
        utt = from_text(text, lang)
        targets = np.stack(list(speaking_frames(Painter(spec, seed=seed), track_of(utt, fps))))
        ours = our_commands(ctx, targets)
        clips = {}
        for method in METHODS:
            commands = method_commands(ctx, method, utt, targets, ours)
            with SimFace(spec, seed=seed + 1) as robot:
                run = execute(robot, commands, fps)
            clips[method] = f"{index}-{method}.mp4"
            write_mp4(folder / clips[method], run.frames, fps, utt.audio, utt.sample_rate)
        manifest["sentences"].append({"text": text, "clips": clips})
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise MirrorfaceError(f"no study clips in {folder}: render them with `mirrorface studio render-study`")
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Trial:
    index: int
    sentence: int  # index into the manifest's sentences
    shown: tuple[str, ...]  # the methods at positions A, B, C


def trials(participant: str, n_sentences: int) -> list[Trial]:
    """The participant's trials: every sentence once, in a random order, methods in a random order each."""
    check_participant(participant)
    seed = int.from_bytes(hashlib.sha256(participant.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_sentences)
    return [Trial(k, int(s), tuple(METHODS[i] for i in rng.permutation(len(METHODS)))) for k, s in enumerate(order)]


def check_participant(participant: str) -> None:
    if not (0 < len(participant) <= 64 and participant.replace("-", "").replace("_", "").isalnum()):
        raise MirrorfaceError("a participant code is 1-64 letters, digits, - or _")


class AnswerStore:
    """The study's answers: one SQLite file, WAL journal, every answer its own committed transaction."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        db = self._connect()
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers (the analysis) never block a participant's answer
            db.execute(SCHEMA)
            db.commit()
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA synchronous=FULL")  # an answer the page saw saved survives a power cut
        return db

    def record(self, participant: str, trial: Trial, sentence: str, position: str) -> str:
        """Store one answer; returns the chosen method. Refuses a second answer to the same trial."""
        if position not in POSITIONS:
            raise MirrorfaceError(f"the choice must be one of {', '.join(POSITIONS)}, got {position!r}")
        chosen = trial.shown[POSITIONS.index(position)]
        db = self._connect()
        try:
            with db:
                db.execute("INSERT INTO answers (participant, trial, sentence, shown, chosen, position, answered_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (participant, trial.index, sentence, json.dumps(trial.shown), chosen, position, time.time()))
        except sqlite3.IntegrityError:
            raise MirrorfaceError(f"trial {trial.index + 1} of {participant!r} is already answered") from None
        finally:
            db.close()
        return chosen

    def answered(self, participant: str) -> set[int]:
        db = self._connect()
        try:
            return {row[0] for row in db.execute("SELECT trial FROM answers WHERE participant = ?", (participant,))}
        finally:
            db.close()


def read_answers(path: Path) -> list[dict]:
    """Every stored answer, oldest first."""
    if not path.is_file():
        raise MirrorfaceError(f"{path}: no study database")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM answers ORDER BY id")]
    except sqlite3.DatabaseError as exc:
        raise MirrorfaceError(f"{path}: not a study database ({exc})") from None
    finally:
        db.close()
