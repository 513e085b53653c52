"""The accuracy harness itself: its scores are sane, ordered, and come from held-out sentences."""

from __future__ import annotations

import math

import pytest

from mirrorface.speech.accuracy import (
    SENTENCES,
    TUNING_SENTENCES,
    _viseme_class,
    evaluate_audio_paths,
    onset_mae_ms,
)
from mirrorface.timeline import Timed, Timeline

PAPER_TEST_SENTENCES = ("My programming allows me", "Emotions and consciousness", "Value is a human concept")


def test_sentences_are_held_out():
    assert len(SENTENCES) >= 10 and len(set(SENTENCES)) == len(SENTENCES)
    assert not set(SENTENCES) & set(TUNING_SENTENCES)
    assert not any(p.lower() in s.lower() for p in PAPER_TEST_SENTENCES for s in SENTENCES + TUNING_SENTENCES)


@pytest.mark.parametrize(("symbol", "cls"), [
    ("p", "bilabial"), ("'m", "bilabial"), ("v", "labiodental"), ("'A:", "open vowel"), ("0", "open vowel"),
    ("aI", "open vowel"), (",oU", "rounded vowel"), ("u:", "rounded vowel"), ("@2", "other vowel"),
    ("i", "other vowel"), ("3:", "other vowel"), ("tS", "other consonant"), ("r-", "other consonant"),
    (None, "silence"),
])
def test_viseme_classes(symbol, cls):
    assert _viseme_class(symbol) == cls


def test_onset_mae_matches_phones_in_order():
    truth = Timeline([Timed(0, 100, "b"), Timed(100, 200, "'A:"), Timed(200, 300, "t")])
    test = Timeline([Timed(20, 90, "b"), Timed(90, 150, "aI"), Timed(150, 180, "k"), Timed(180, 300, "t")])
    assert onset_mae_ms(truth, test) == pytest.approx((20 + 10 + 20) / 3)  # k is unmatched
    assert math.isnan(onset_mae_ms(truth, Timeline([Timed(0, 10, "s")])))


def test_each_path_beats_chance_and_alignment_beats_recognition():
    r = evaluate_audio_paths(n_sentences=3)
    assert r["sentences"] == 3 and r["frames"] > 500
    a, rec, env, chance = r["align"], r["recognize"], r["envelope"], r["chance"]
    assert a["onset_mae_ms"] < 30 and a["matched_fraction"] > 0.9  # measured ~17 ms, 0.99 on all 10
    assert a["viseme_accuracy"] > rec["viseme_accuracy"] > chance["viseme_accuracy"] + 0.2
    assert env["speech_accuracy"] > chance["speech_accuracy"] + 0.2
    assert a["bilabial_recall"] > 0.6
