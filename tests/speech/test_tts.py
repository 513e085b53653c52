import numpy as np
import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.corpus import MULTILINGUAL, TEST_SENTENCES, WORD_GROUPS
from mirrorface.speech.tts import LANGUAGES, synthesize


@pytest.mark.parametrize("label, lang, voice, text", MULTILINGUAL)
def test_every_language_gives_a_monotone_timeline_inside_the_audio(label, lang, voice, text):
    speech = synthesize(text, lang, voice)
    assert len(speech.phonemes) > 10, label
    starts = [p.start for p in speech.phonemes]
    assert starts == sorted(starts)
    assert all(p.end > p.start for p in speech.phonemes)
    assert speech.phonemes.end <= speech.duration_ms
    assert speech.audio.dtype == np.float32 and np.abs(speech.audio).max() > 0.05


def test_the_paper_languages_are_all_there():
    assert set(LANGUAGES) == {"en", "fr", "ja", "ko", "es", "it", "de", "ru", "zh", "he", "ar"}


def test_the_two_english_voices_differ():
    one, two = (synthesize(TEST_SENTENCES[0][:40], "en", v) for v in ("english1", "english2"))
    assert one.duration_ms != two.duration_ms or not np.allclose(one.audio[:1000], two.audio[:1000])


def test_timings_come_from_the_library_events():
    # /p/'s release follows a near-silent closure: the audio right before the event is quiet,
    # right after it is loud. An estimated timeline would not line up with the audio like this.
    speech = synthesize("a papa", "en")
    sr, audio = speech.sample_rate, speech.audio
    second_p = [p for p in speech.phonemes if p.value == "p"][-1]
    at = int(second_p.start * sr / 1000)
    before = np.sqrt(np.mean(audio[at - int(0.03 * sr) : at] ** 2))
    after = np.sqrt(np.mean(audio[at + int(0.02 * sr) : at + int(0.06 * sr)] ** 2))
    assert after > 3 * before


def test_word_groups_speak():
    for words in WORD_GROUPS.values():
        for word in words:
            assert len(synthesize(word).phonemes) >= 2


@pytest.mark.parametrize("text, lang, voice, needle", [
    ("", "en", None, "empty"), ("   ", "en", None, "empty"), ("hi", "xx", None, "unknown language"),
    ("hi", "en", "english9", "unknown voice"),
])
def test_bad_input(text, lang, voice, needle):
    with pytest.raises(MirrorfaceError, match=needle):
        synthesize(text, lang, voice)
