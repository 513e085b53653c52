"""Non-speech training clips: noise, music and knocks whose target is the mouth at rest."""

import numpy as np
import pytest
import torch

from mirrorface.articulation.coarticulation import articulate
from mirrorface.models.audio2artic import Audio2ArticConfig
from mirrorface.speech import audio_corpus
from mirrorface.speech.audio_model import TrainConfig, _batch, features
from mirrorface.speech.features import FEATURE_RATE
from mirrorface.speech.nonspeech import KINDS, LEVEL_DBFS, nonspeech_audio
from mirrorface.timeline import Timeline

REST = articulate(Timeline([]), 10.0, audio_corpus.TARGET_FPS).values[0]


def test_every_kind_makes_a_finite_sound_of_the_length_asked():
    for kind in KINDS:
        sound = kind(8000, np.random.default_rng(1))
        assert sound.shape == (8000,) and np.isfinite(sound).all() and np.std(sound) > 0, kind.__name__


def test_clips_repeat_with_their_seed_and_spread_over_the_levels():
    a, b = (nonspeech_audio(16000, np.random.default_rng(3)) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(0)
    levels = []
    for _ in range(60):
        clip = nonspeech_audio(16000, rng)
        assert clip.dtype == np.float32 and np.abs(clip).max() <= 1.0
        levels.append(10 * np.log10(np.mean(clip.astype(np.float64) ** 2)))
    low, high = LEVEL_DBFS
    assert low - 1 <= min(levels) and max(levels) <= high + 0.1  # clipping only ever lowers a level
    assert min(levels) < low + 10 and max(levels) > high - 10  # quiet and loud both drawn


def test_a_nonspeech_example_asks_for_the_mouth_at_rest_on_every_frame():
    audio, targets = audio_corpus.nonspeech_example(150, np.random.default_rng(2))
    mel = features(audio, FEATURE_RATE, Audio2ArticConfig())
    assert len(targets) == len(mel) == 1 + len(audio) // 160  # as `augment` lines targets up with features
    np.testing.assert_allclose(targets, np.broadcast_to(REST, targets.shape), atol=1e-6)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_batches_hold_nonspeech_clips_in_their_share(share):
    corpus = [audio_corpus.speak("Bob made a map.", "en")]
    config = TrainConfig(batch_size=16, crop_frames=60, nonspeech=share)
    _, targets, mask = _batch(corpus, config, Audio2ArticConfig(), np.random.default_rng(0))
    at_rest = sum(bool(torch.allclose(t[m > 0], torch.from_numpy(REST).float().expand_as(t[m > 0]), atol=1e-6))
                  for t, m in zip(targets, mask, strict=True))
    assert at_rest == 16 * share if share in (0.0, 1.0) else 3 <= at_rest <= 13  # a seeded draw: 16 coin flips


def test_a_background_plays_under_the_speech_at_the_level_asked():
    speech = (0.1 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 200)).astype(np.float32)
    for snr in (5.0, 25.0):
        mixed = audio_corpus.add_background(speech, snr, np.random.default_rng(4))
        background = (mixed - speech).astype(np.float64)
        measured = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(background**2))
        assert measured == pytest.approx(snr, abs=0.01)


def test_speech_clips_carry_a_background_only_when_asked():
    utt = audio_corpus.speak("Bob made a map.", "en")
    plain, targets = audio_corpus.augment(utt, np.random.default_rng(7))
    again, _ = audio_corpus.augment(utt, np.random.default_rng(7), background=0.0)
    mixed, mixed_targets = audio_corpus.augment(utt, np.random.default_rng(7), background=1.0)
    np.testing.assert_array_equal(plain, again)  # no draw at 0: the stream of a run without backgrounds
    assert not np.allclose(plain, mixed)
    np.testing.assert_array_equal(targets, mixed_targets)  # the speech still decides the mouth
