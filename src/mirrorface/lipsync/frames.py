"""The images the lip-sync models learn from: the robot's babbling and synthesized speaking frames.

Real frames are the babbling dataset's camera images; synthesized frames are the robot's face
painted with the articulatory mouth of English training sentences (the paper's Wav2Lip videos,
`targets.frames`). The paper trains on English and tests on ten other languages, so only
English sentences are used here, and never the test sentences or word groups: they come from
the audio corpus's training split.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.constants import ACTION
from mirrorface.face.sim.painter import Painter
from mirrorface.lipsync.crop import MouthCrop
from mirrorface.targets.frames import speaking_frames

if TYPE_CHECKING:  # training needs these; speaking (`speaking_crops`) must not pay for their imports
    from mirrorface.data.dataset import Dataset

TRAIN_LANGUAGE = "en"


@dataclass
class Episode:
    """One babbling episode: commands and the mouth crops of the frames they produced."""

    commands: np.ndarray  # (T, n) what the safety layer sent, frame k's command
    crops: np.ndarray  # (T, S, S, 3) uint8, frame k: after command k for one frame period


def babbling_episodes(dataset: Dataset, crop: MouthCrop, limit: int | None = None) -> list[Episode]:
    """Every finished episode of a babbling dataset, its frames cropped (at most `limit` frames)."""
    actions = dataset.array(ACTION)
    episodes, start = [], 0
    for entry in dataset.episodes:
        n = entry["length"]
        if limit is not None and start >= limit:
            break
        crops = np.stack([crop(f) for f in dataset.frames(entry["episode_index"])])
        episodes.append(Episode(actions[start : start + n].astype(np.float32), crops))
        start += n
    return episodes


@dataclass
class Spoken:
    """One synthesized training utterance: its articulation track and the painted frames' crops."""

    track: Track
    crops: np.ndarray  # (F, S, S, 3) uint8


def training_sentences(voicings: int, seed: int, sentences: int | None = None) -> list[Utterance]:
    """The English training sentences in `voicings` seeded voice variants and speaking rates."""
    from mirrorface.speech import audio_corpus, tts  # (scipy.signal: seconds of import that `say` need not wait for)

    rng = np.random.default_rng(seed)
    out = []
    for text in audio_corpus.split(TRAIN_LANGUAGE)[0][:sentences]:
        for variant in rng.choice(audio_corpus.TRAIN_VARIANTS, size=voicings, replace=False):
            rate = int(rng.integers(140, 200))
            speech = tts.synthesize(text, TRAIN_LANGUAGE, variant=str(variant), rate=rate)
            out.append(Utterance(speech.audio, speech.sample_rate, TRAIN_LANGUAGE, speech.phonemes, "tts"))
    return out


def speaking_crops(face: Painter, track: Track, crop: MouthCrop) -> Iterator[np.ndarray]:
    """The mouth crops of the track's speaking frames; only the crop's pixels are rendered."""
    window = crop.window(face.spec.camera.width, face.spec.camera.height)
    yield from speaking_frames(face, track, window=window, finish=crop if window is None else crop.resize)


def synthesized(face: Painter, crop: MouthCrop, utterances: list[Utterance]) -> list[Spoken]:
    """Paint each utterance's mouth on the face at the camera's rate and crop the frames."""
    fps = face.spec.camera.fps
    spoken = []
    for utt in utterances:
        track = track_of(utt, fps)
        spoken.append(Spoken(track, np.stack(list(speaking_crops(face, track, crop)))))
    return spoken
