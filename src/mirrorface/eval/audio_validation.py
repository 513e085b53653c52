"""The audio model on its validation split, scored as `mirrorface eval articulation` scores it,
and its closure threshold chosen there (`calibrate_audio_model`, which `mirrorface train audio`
runs after training).

`audio_corpus.validation_corpus` is speech no training run and no evaluation uses; recipes and
the closure threshold are chosen on it, never on the held-out voices. Each utterance is scored
on the learned/planned path exactly as `eval.unseen_speech` scores the test sentences: bilabial
hits of the predicted track against the speech's own closures (with the 500 ms late control),
lips shut in vowel time, at PROBE_RATE.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from mirrorface.articulation.sources import Utterance
from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import PROBE_RATE, Truth, measure, pool
from mirrorface.models.audio2artic import Audio2Artic
from mirrorface.speech import audio_corpus
from mirrorface.speech.audio_model import (
    infer_frames,
    load_audio_model,
    resample_frames,
    save_audio_model,
    shut_closures,
)
from mirrorface.speech.features import FEATURE_RATE
from mirrorface.speech.synthesizers import available
from mirrorface.training.folder import read_meta

THRESHOLDS = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2).tolist())  # the candidates, in steps of 0.05
# Lips shut in vowel time allowed on validation: 2 points under the 10%, for voices that
# differ from the validation's.
MAX_VOWEL_SHUT = 0.08


def validation_scores(model: Audio2Artic, corpus: list[audio_corpus.Utterance],
                      thresholds: tuple[float, ...] | None = None) -> dict[float, dict]:
    """{closure threshold: {"per_voice": {voice: pooled figures}, "all": pooled}} on `corpus`
    (utterances with phonemes), at each of `thresholds` (default: the model's own)."""
    truths = [Truth.of(Utterance(u.audio, FEATURE_RATE, u.lang, u.phonemes, "tts")) for u in corpus]
    inferred = [infer_frames(model, u.audio, FEATURE_RATE) for u in corpus]  # once: thresholds only shape them
    out = {}
    for threshold in thresholds or (model.config.closure_threshold,):
        rows: dict[str, list[dict]] = {}
        for utt, truth, (values, prob) in zip(corpus, truths, inferred, strict=True):
            # as `predict_articulation` gives them, at this threshold
            track = resample_frames(shut_closures(values, prob, threshold), 1000.0 * len(utt.audio) / FEATURE_RATE,
                                    PROBE_RATE).astype(np.float32)
            rows.setdefault(utt.voice, []).append(measure(
                art.target_gap_mm(track), art.target_labiodental_contact(track), PROBE_RATE, truth))
        out[threshold] = {"per_voice": {v: pool(r) for v, r in rows.items()},
                          "all": pool([r for rs in rows.values() for r in rs])}
    return out


def pick_threshold(scores: dict[float, dict], max_vowel_shut: float = MAX_VOWEL_SHUT) -> float:
    """Of the thresholds scored (`validation_scores`), the one with the most bilabial hits whose
    lips stay shut in at most `max_vowel_shut` of vowel time (ties: the higher threshold); where
    none does, the one that shuts them least."""
    def shut(t: float) -> float:
        return scores[t]["all"]["vowel_closed"]["rate"] or 0.0

    allowed = [t for t in scores if shut(t) <= max_vowel_shut]
    if not allowed:
        return min(scores, key=shut)
    return max(allowed, key=lambda t: (scores[t]["all"]["bilabial"]["rate"] or 0.0, t))


def calibrate_threshold(model: Audio2Artic, corpus: list[audio_corpus.Utterance],
                        max_vowel_shut: float = MAX_VOWEL_SHUT) -> tuple[float, dict]:
    """(threshold, its validation figures): `pick_threshold` of THRESHOLDS scored on `corpus`."""
    scores = validation_scores(model, corpus, THRESHOLDS)
    best = pick_threshold(scores, max_vowel_shut)
    return best, scores[best]


def calibrate_audio_model(out: str | Path, sentences_per_language: int | None = None) -> dict:
    """Choose the closure threshold of the audio model in the folder `out` on the validation split
    (`calibrate_threshold`, every VALIDATION_VOICES voice installed; a quick run: the first
    `sentences_per_language` sentences of each) and save it there with its figures. What changes
    is config.json's model `closure_threshold` and its training record's `closure_calibration`;
    the weights (written back as they were) and the rest of the training record stay.

    Returns:
        {"threshold", "max_vowel_shut", "validation": {voice or "all": {"bilabial" (hit rate),
        "bilabial_shifted" (the late control), "vowel_closed" (vowel time shut)}}}, as kept in
        config.json; a rate is None where the voice had nothing to score.

    Raises:
        MirrorfaceError: `out` holds no usable audio model.
    """
    model = load_audio_model(out)
    validation = audio_corpus.validation_corpus(tuple(v for v in audio_corpus.VALIDATION_VOICES if available(v)),
                                                sentences_per_language)
    threshold, figures = calibrate_threshold(model, validation)
    model.config = replace(model.config, closure_threshold=threshold)
    per_voice = {voice: {key: f[key]["rate"] for key in ("bilabial", "bilabial_shifted", "vowel_closed")}
                 for voice, f in {**figures["per_voice"], "all": figures["all"]}.items()}
    calibration = {"threshold": threshold, "max_vowel_shut": MAX_VOWEL_SHUT, "validation": per_voice}
    save_audio_model(model, out, {**read_meta(out), "closure_calibration": calibration})
    return calibration


def percent(rate: float | None) -> str:
    """A validation rate as printed: "42.5%", or "-" where there was nothing to score (None)."""
    return "-" if rate is None else f"{100 * rate:.1f}%"
