"""The held-out articulation test: its material is held out, its probe times the face finely, its
figures reward the right motion and not a shut mouth."""

from __future__ import annotations

import numpy as np
import pytest

from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import PROBE_RATE, SENTENCES, VOICES, Truth, intervals95, measure, pool, probe_motion
from mirrorface.speech import audio_corpus, corpus, tts
from mirrorface.speech.accuracy import SENTENCES as AUDIO_TEST_SENTENCES
from mirrorface.speech.accuracy import TUNING_SENTENCES


def test_the_material_is_held_out_and_dense_in_labials():
    seen = {s for lang in audio_corpus.SENTENCES.values() for s in lang}
    seen |= set(corpus.TEST_SENTENCES) | set(TUNING_SENTENCES) | set(AUDIO_TEST_SENTENCES)
    assert len(SENTENCES) >= 24 and not seen & set(SENTENCES)
    for text in SENTENCES:  # at least two bilabials and one labiodental each, by spelling
        low = text.lower()
        assert sum(low.count(c) for c in "pbm") >= 2 and sum(low.count(c) for c in "fv") >= 1, text
    voices = {v for _, v, _ in VOICES}
    assert len(VOICES) >= 2 and not voices & (set(audio_corpus.TRAIN_VARIANTS) | set(audio_corpus.training_variants()))
    assert voices <= set(audio_corpus.HELD_OUT_VARIANTS)


def test_probe_reads_the_face_five_times_a_frame(lips10):
    jaw = lips10.index_of("jaw")
    commands = np.tile(lips10.neutral, (6, 1))
    commands[:, jaw] = 0.6
    positions = probe_motion(lips10, commands, lips10.camera.fps)
    assert positions.shape == (6 * 5, lips10.n)
    assert positions[0, jaw] == pytest.approx(lips10.neutral[jaw], abs=1e-6)  # sent at 0 s, not yet moved
    assert np.all(np.diff(positions[:, jaw]) >= -1e-9) and positions[4, jaw] > positions[1, jaw]


@pytest.fixture(scope="module")
def spoken() -> Utterance:
    speech = tts.synthesize(SENTENCES[0], "en", variant=VOICES[0][1], rate=VOICES[0][2])
    return Utterance(speech.audio, speech.sample_rate, "en", speech.phonemes, "tts")


def test_the_planned_track_hits_its_closures_and_the_late_control_does_not(spoken):
    values = track_of(spoken, PROBE_RATE).values
    truth = Truth.of(spoken)
    row = measure(art.target_gap_mm(values), art.target_labiodental_contact(values), PROBE_RATE, truth)
    figures = pool([row])
    assert figures["bilabial"]["rate"] == 1.0 and figures["bilabial_shifted"]["rate"] < 0.7
    assert figures["vowel_closed"]["rate"] < 0.1 and abs(figures["onset"]["median_ms"]) <= 30


def test_a_mouth_kept_shut_is_caught_by_the_vowel_time(spoken):
    truth = Truth.of(spoken)
    n = int(spoken.duration_ms * PROBE_RATE / 1000)
    shut = pool([measure(np.zeros(n), np.zeros(n, bool), PROBE_RATE, truth)])
    assert shut["bilabial"]["rate"] == 1.0 and shut["bilabial_shifted"]["rate"] == 1.0  # the control says: chance
    assert shut["vowel_closed"]["rate"] == 1.0 and shut["open_vowel_closed"]["rate"] == 1.0


def _row(hit: bool, rng: np.random.Generator, closures: int = 1) -> dict:
    vowel = {"closed_ms": float(rng.uniform(0, 20)), "ms": 100.0}
    return {"bilabial": {"hits": closures * int(hit), "n": closures}, "bilabial_shifted": {"hits": 0, "n": closures},
            "labiodental": {"hits": 0, "n": 0}, "labiodental_shifted": {"hits": 0, "n": 0},
            "vowel_closed": vowel, "open_vowel_closed": vowel, "onsets_ms": [float(rng.normal(-30, 10)), None]}


def test_intervals_cover_the_pooled_figure_and_narrow_with_more_sentences():
    rng = np.random.default_rng(1)
    few = [_row(i % 4 != 0, rng) for i in range(12)]  # 75% of closures hit
    many = [_row(i % 4 != 0, rng) for i in range(400)]
    small, large = intervals95(few, list(range(12))), intervals95(many, list(range(400)))
    assert small["bilabial"][0] < 0.75 < small["bilabial"][1]
    assert large["bilabial"][1] - large["bilabial"][0] < 0.5 * (small["bilabial"][1] - small["bilabial"][0])
    assert small["labiodental"] is None  # nothing to count: no interval, not a made-up one
    pooled = pool(many, list(range(400)))
    low, high = pooled["intervals95"]["vowel_closed"]
    assert low < pooled["vowel_closed"]["rate"] < high
    low, high = pooled["intervals95"]["onset_abs_ms"]
    assert low < pooled["onset"]["median_abs_ms"] < high
    assert "intervals95" not in pool(many)


def test_a_sentence_spoken_in_two_voices_is_one_draw_and_few_sentences_give_no_interval():
    rng = np.random.default_rng(2)
    # 20 sentences, each hit or missed in both voices alike, with 1 to 6 closures each: the
    # two voices' rows are one draw, so the interval is wider than treating them as independent
    hits = rng.random(20) < 0.8
    sizes = rng.integers(1, 7, 20)
    rows = [_row(h, rng, int(k)) for h, k in zip(hits, sizes, strict=True)] * 2
    sentences = list(range(20)) * 2
    together = intervals95(rows, sentences)["bilabial"]
    apart = intervals95(rows, list(range(40)))["bilabial"]
    assert together[1] - together[0] > 1.2 * (apart[1] - apart[0])
    assert intervals95(rows[:9], list(range(9)))["bilabial"] is None  # 9 sentences: too few
    assert intervals95([], [])["bilabial"] is None


def test_only_sentences_with_something_to_count_make_an_interval():
    rng = np.random.default_rng(3)
    rows = [_row(True, rng) for _ in range(12)]
    for n_with, expected in ((9, None), (10, list)):
        for i, row in enumerate(rows):  # lip-teeth contacts in the first n_with sentences only
            row["labiodental"] = {"hits": int(i % 3 != 0), "n": 1} if i < n_with else {"hits": 0, "n": 0}
        band = intervals95(rows, list(range(12)))["labiodental"]
        assert band is None if expected is None else isinstance(band, expected)
    for row in rows[9:]:
        row["onsets_ms"] = [None]  # onsets in 9 of the 12 sentences
    assert intervals95(rows, list(range(12)))["onset_abs_ms"] is None
