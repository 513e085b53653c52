"""Where an articulation track comes from: text, or audio with or without its transcript.

  text                 -> eSpeak NG: audio and its exact phoneme timeline
  audio + transcript   -> PocketSphinx forced alignment (English)
  audio, method=phones -> PocketSphinx phone recognition (English)
  audio, method=learned-> the learned audio -> articulation model (any language)
  audio, method=envelope-> the amplitude envelope opens the jaw and lips (the crudest path)
Each path ends in a `Track` on the audio clock; phoneme paths go through the same
coarticulation (`articulate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.articulation.coarticulation import A, CoarticulationParams, Track, articulate
from mirrorface.articulation.phonemes import ARTICULATORS, REST, Viseme
from mirrorface.errors import MirrorfaceError
from mirrorface.timeline import Timeline

METHODS = ("auto", "phones", "learned", "envelope")
AUDIO_RATE = 16000  # what PocketSphinx and the learned model take


@dataclass
class Utterance:
    """Speech audio with whatever is known of its phonemes."""

    audio: np.ndarray  # (samples,) float32 mono
    sample_rate: int
    lang: str
    phonemes: Timeline[str] | None  # None for the learned and envelope paths
    method: str  # "tts", "aligned", "phones", "learned" or "envelope"

    @property
    def duration_ms(self) -> float:
        return 1000.0 * len(self.audio) / self.sample_rate


def from_text(text: str, lang: str = "en", voice: str | None = None) -> Utterance:
    from mirrorface.speech.tts import synthesize

    speech = synthesize(text, lang, voice)
    return Utterance(speech.audio, speech.sample_rate, lang, speech.phonemes, "tts")


def from_audio(path: str | Path, text: str | None = None, method: str = "auto",
               lang: str = "en") -> Utterance:
    """Load speech from a file; align it to `text`, or recognise it by `method`."""
    from mirrorface.speech.audio import load_audio

    if method not in METHODS:
        raise MirrorfaceError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    audio = load_audio(path, sample_rate=AUDIO_RATE)
    english = lang == "en"
    if text is not None:
        if not english:
            raise MirrorfaceError("forced alignment with a transcript is English only; "
                                  "drop --text or use --method learned")
        from mirrorface.speech.align import align

        return Utterance(audio, AUDIO_RATE, lang, align(audio, text), "aligned")
    if method == "auto":
        method = "phones" if english else "learned"
    if method == "phones":
        if not english:
            raise MirrorfaceError("phone recognition is English only; use --method learned")
        from mirrorface.speech.recognize import recognize_phones

        return Utterance(audio, AUDIO_RATE, lang, recognize_phones(audio), "phones")
    return Utterance(audio, AUDIO_RATE, lang, None, method)


def _envelope_track(utt: Utterance, fps: float) -> Track:
    from mirrorface.speech.envelope import amplitude_envelope

    level = amplitude_envelope(utt.audio, utt.sample_rate, fps)
    rest, _ = REST.as_arrays()
    values = np.tile(rest, (len(level), 1))
    values[:, A["jaw"]] = 0.05 + 0.6 * level
    values[:, A["lip_open"]] = 0.05 + 0.65 * level
    times = np.arange(len(level)) * 1000.0 / fps
    return Track(fps, times, values, [Viseme.REST] * len(level), Timeline())


def _learned_track(utt: Utterance, fps: float) -> Track:
    from mirrorface.speech.audio_model import closures_from_prediction, load_audio_model, predict_articulation

    model = load_audio_model()
    values = predict_articulation(model, utt.audio, utt.sample_rate, fps)
    times = np.arange(len(values)) * 1000.0 / fps
    closures = closures_from_prediction(values, fps)
    return Track(fps, times, values, [Viseme.REST] * len(values), closures)


def track_of(utt: Utterance, fps: float, params: CoarticulationParams = CoarticulationParams()) -> Track:
    """The articulation track of an utterance at `fps`."""
    if utt.phonemes is not None:
        return articulate(utt.phonemes, utt.duration_ms, fps, utt.lang,
                          utt.audio, utt.sample_rate, params)
    if utt.method == "envelope":
        return _envelope_track(utt, fps)
    return _learned_track(utt, fps)


def track_table(track: Track) -> dict:
    """The track as plain data for JSON: frame times, one list per articulator, visemes."""
    return {"fps": track.fps, "times_ms": track.times_ms.round(3).tolist(),
            **{name: track.values[:, i].round(4).tolist() for i, name in enumerate(ARTICULATORS)},
            "viseme": [v.value for v in track.visemes],
            "closures": [{"start_ms": c.start, "end_ms": c.end, "phoneme": c.value} for c in track.closures]}
