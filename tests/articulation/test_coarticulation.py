import numpy as np
import pytest

from mirrorface.articulation.closure import closure_intervals
from mirrorface.articulation.coarticulation import (
    CoarticulationParams,
    anticipation_lead_ms,
    articulate,
)
from mirrorface.articulation.phonemes import articulation_of
from mirrorface.speech.corpus import MULTILINGUAL
from mirrorface.speech.tts import synthesize
from mirrorface.timeline import Timed, Timeline


def track(text, lang="en", fps=30.0, voice=None, **params):
    s = synthesize(text, lang, voice)
    return s, articulate(s.phonemes, s.duration_ms, fps, lang, s.audio, s.sample_rate,
                         CoarticulationParams(**params))


def closed_runs(tr):
    shut = tr.column("lip_open") == 0
    return int(np.sum(shut[1:] & ~shut[:-1]) + shut[0])


def test_papa_closes_twice_and_opens_between():
    _, tr = track("papa")
    assert closed_runs(tr) == 2
    assert tr.column("lip_open").max() > 0.5


def test_b_between_open_vowels_is_never_blended_away():
    for fps in (24.0, 30.0, 60.0):
        _, tr = track("a bab a", fps=fps)
        assert closed_runs(tr) == 2, fps


@pytest.mark.parametrize("label, lang, voice, text", MULTILINGUAL)
def test_every_p_b_m_reaches_full_closure(label, lang, voice, text):
    s, tr = track(text, lang, voice=voice)
    closures = list(tr.closures)
    bilabials = [p for p in s.phonemes if p.value.lstrip("',")[:1] in "pbm"
                 and articulation_of(p.value, lang).viseme.name == "BILABIAL"
                 and not p.value.lstrip("',").startswith(("pF", "p\\"))]
    assert len(closures) == len(bilabials)
    for c in closures:
        inside = (tr.times_ms >= c.start - 17) & (tr.times_ms <= c.end + 17)
        assert inside.any() and (tr.column("lip_open")[inside] == 0).any(), (label, c)
        assert (tr.column("bilabial")[inside] == 1).any()


def test_voiceless_closure_starts_in_the_silence_before_the_release():
    s = synthesize("upper")
    p = next(ph for ph in s.phonemes if ph.value == "p")
    (closure,) = closure_intervals(s.phonemes, "en", s.audio, s.sample_rate)
    assert 25 <= p.start - closure.start <= 100
    blind = closure_intervals(s.phonemes, "en")[0]  # without audio: the typical 50 ms
    assert p.start - blind.start == 50


@pytest.mark.parametrize("lead", [80.0, 150.0, 300.0])
def test_anticipation_lead_is_measurable_and_configurable(lead):
    rounded_vowel = Timeline([Timed(600, 900, "u:")])
    tr = articulate(rounded_vowel, 1200, 200.0, "en", params=CoarticulationParams(anticipation_ms=lead))
    assert abs(anticipation_lead_ms(tr, 600) - lead) <= 5


def test_rounding_spreads_into_neighbouring_consonants():
    def rounding_of_t(word):
        s, tr = track(word, fps=200.0)
        t = next(p for p in s.phonemes if p.value == "t")
        return np.interp((t.start + t.end) / 2, tr.times_ms, tr.column("round"))

    assert rounding_of_t("two") > rounding_of_t("tea") + 0.2


def test_values_stay_in_range_and_frames_follow_the_clock():
    s, tr = track("Choose jeep, chop and jump.", fps=25.0)
    assert tr.values.min() >= 0 and tr.values.max() <= 1
    assert len(tr) == int(np.ceil(s.duration_ms * 25 / 1000))
    assert np.allclose(np.diff(tr.times_ms), 40.0)


def test_long_speech_blends_in_linear_memory_with_the_dense_result():
    """20,000 phonemes (~40 min): the dense (frames, segments, articulators) blend would need ~70 GiB."""
    cycle = ["p", "a", "m", "u", "f", "i"]
    phonemes = Timeline([Timed(120 * k, 120 * k + 100, cycle[k % 6]) for k in range(20_000)])
    track = articulate(phonemes, phonemes.end, 30.0, "en")
    assert len(track) == 72_000 and np.isfinite(track.values).all()
    # Far from the ends the pattern (720 ms, so 5 cycles = 108 frames) is articulated alike everywhere.
    assert np.allclose(track.values[10_000:10_108], track.values[37_000:37_108], atol=1e-9)
    short = articulate(Timeline(phonemes[:30]), phonemes[29].end, 30.0, "en")  # the same start, alone
    assert np.allclose(short.values[:60], track.values[:60], atol=1e-12)
