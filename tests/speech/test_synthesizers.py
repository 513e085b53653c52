"""Other synthesizers' speech and segment timings (Flite, Festival)."""

from __future__ import annotations

import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.speech import synthesizers
from mirrorface.speech.synthesizers import _segments, _timeline, available, synthesize_other


def test_segments_become_espeak_phonemes_with_their_times():
    printed = "pau:0.224 m:0.252 ey:0.410 b:0.461 iy:0.575 v:0.610 pau:0.800\nsome other line"
    timeline = _timeline(_segments(printed))
    assert [(p.start, p.end, p.value) for p in timeline] == [  # pauses are gaps, as eSpeak's
        (224, 252, "m"), (252, 410, "eI"), (410, 461, "b"), (461, 575, "i:"), (575, 610, "v")]


def test_a_voiceless_stop_starts_at_its_burst():
    import numpy as np

    rate = 16000
    audio = np.zeros(rate // 2, np.float32)
    audio[: 2400] = 0.3 * np.sin(np.arange(2400) * 0.3)  # a vowel to 150 ms
    audio[3200:4000] = 0.5 * np.random.default_rng(0).standard_normal(800)  # silence, then the burst at 200 ms
    timeline = _timeline([("aa", 0.150), ("p", 0.250)], audio, rate)
    assert [(p.start, p.end, p.value) for p in timeline] == [(0, 150, "A:"), (200, 250, "p")]


def test_unknown_voices_are_refused():
    with pytest.raises(MirrorfaceError, match="flite:awb"):
        synthesize_other("hello", "flite:nobody")


@pytest.mark.skipif(not available("flite:slt"), reason="flite is not installed (apt-get install flite)")
def test_flite_speaks_with_its_segment_timings():
    speech = synthesize_other("Bob may move.", "flite:slt")
    assert speech.sample_rate == 16000 and [p.value for p in speech.phonemes][:3] == ["b", "A:", "b"]
    assert speech.phonemes[-1].value == "v" and speech.phonemes[-1].end <= speech.duration_ms  # then a pause


def test_a_festival_voice_is_available_only_where_its_package_is_installed(monkeypatch, tmp_path):
    monkeypatch.setattr(synthesizers, "FESTIVAL_VOICES", tmp_path)
    monkeypatch.setattr(synthesizers.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert not available("festival:ked") and available("flite:awb")
    (tmp_path / "english" / "ked_diphone").mkdir(parents=True)
    assert available("festival:ked") and not available("festival:kal")


@pytest.mark.skipif(not available("festival:ked"), reason="apt-get install festival festvox-kdlpc16k")
def test_festival_diphone_voices_speak_slower_when_stretched():
    plain, slow = (synthesize_other("Bob may move.", "festival:ked", stretch) for stretch in (1.0, 1.3))
    assert [p.value for p in plain.phonemes][:3] == ["b", "A:", "b"]
    assert [p.value for p in slow.phonemes] == [p.value for p in plain.phonemes]
    assert slow.phonemes[-1].end > 1.15 * plain.phonemes[-1].end


def test_foreign_phones_become_espeak_style_mnemonics():
    printed = "pau:0.300 m:0.350 a1:0.450 ax:0.500 L:0.600 pau:0.700 b:0.780"
    timeline = _timeline(_segments(printed), lang="ca")
    assert [(p.start, p.end, p.value) for p in timeline] == [  # stress marks dropped, pauses gaps
        (300, 350, "m"), (350, 450, "a"), (450, 500, "@"), (500, 600, "l^"), (700, 780, "b")]
    assert synthesizers.language("festival:ona") == "ca" and synthesizers.language("flite:awb") == "en"


@pytest.mark.skipif(not available("festival:ona"), reason="apt-get install festival festvox-ca-ona-hts")
def test_a_foreign_voice_speaks_its_own_language_with_closures_where_its_segments_are():
    from mirrorface.articulation.phonemes import articulation_of
    from mirrorface.models.audio2artic import BILABIAL
    from mirrorface.speech.audio_corpus import TARGET_FPS, speak_other

    utt = speak_other("La mare menja pa amb mel.", "festival:ona")
    assert utt.lang == "ca" and utt.voice == "festival:ona"
    for p in utt.phonemes:  # every mapped phone has an articulation
        articulation_of(p.value, utt.lang)
    frame = {p: int((p.start + p.end) / 2 * TARGET_FPS / 1000) for p in utt.phonemes}
    nasals = [p for p in utt.phonemes if p.value == "m"]
    vowels = [p for p in utt.phonemes if p.value in ("a", "@", "e", "E")]
    assert len(nasals) >= 3 and len(vowels) >= 5
    assert all(utt.targets[frame[p], BILABIAL] > 0.5 for p in nasals)  # shut in every m
    assert all(utt.targets[frame[p], BILABIAL] < 0.5 for p in vowels)  # open in every vowel
