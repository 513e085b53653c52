"""Phone recognition without a transcript: real PocketSphinx allphone search on eSpeak speech."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.align import ARPABET_TO_ESPEAK
from mirrorface.speech.recognize import recognize_phones

BILABIAL = {"p", "b", "m"}
TOLERANCE_MS = 50  # recognised and eSpeak boundaries differ by a frame or several (stop closures)


def near(a, b) -> bool:
    return a.start < b.end + TOLERANCE_MS and b.start < a.end + TOLERANCE_MS


def test_finds_the_lip_closures_in_papa_mama_baba(speak16k):
    audio, speech = speak16k("papa mama baba")
    recognised = recognize_phones(audio)
    truth = [p for p in speech.phonemes if p.value.strip("',") in BILABIAL]
    found = [p for p in recognised if p.value in BILABIAL]
    assert len(truth) == 6
    # Most closures are heard (measured: 4 of 6)...
    hit = [t for t in truth if any(near(t, f) for f in found)]
    assert len(hit) >= 3, (truth, recognised)
    # ...and what is heard as a closure is one (not, say, every frame labelled m).
    assert all(any(near(f, t) for t in truth) for f in found), (truth, recognised)


def test_timeline_is_espeak_symbols_inside_the_audio(speak16k):
    audio, _ = speak16k("Every morning I walk my dog around the lake.")
    recognised = recognize_phones(audio)
    assert len(recognised) > 10
    assert {p.value for p in recognised} <= set(ARPABET_TO_ESPEAK.values())
    assert all(p.end > p.start >= 0 for p in recognised)
    assert all(a.end <= b.start for a, b in itertools.pairwise(recognised))
    assert recognised.end <= 1000 * len(audio) / 16000


def test_repeatable(speak16k):
    a, _ = speak16k("papa mama baba")
    b, _ = speak16k("Every morning I walk my dog around the lake.")
    first = list(recognize_phones(a))
    recognize_phones(b)  # the decoder's front end must not carry state from one call to the next
    assert list(recognize_phones(a)) == first


@pytest.mark.parametrize(("audio", "message"), [
    (np.zeros(0, np.float32), "empty"),
    (np.zeros(16000, np.float32), "silent"),
    (np.array([0.1, np.inf]), "NaN or infinite"),
])
def test_bad_audio(audio, message):
    with pytest.raises(MirrorfaceError, match=message):
        recognize_phones(audio)
