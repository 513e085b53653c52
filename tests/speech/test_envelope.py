"""Loudness envelope and speech intervals on synthetic signals with known answers, and on eSpeak."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mirrorface.speech.envelope import SPEECH, amplitude_envelope, voiced_intervals

RATE = 16000


def tone(seconds, amp=0.5, freq=300.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds):
    return np.zeros(int(seconds * RATE), np.float32)


def test_envelope_follows_the_sound_frame_by_frame():
    audio = np.concatenate([silence(0.5), tone(1.0), silence(0.5)])
    env = amplitude_envelope(audio, RATE, fps=25)
    assert env.shape == (50,) and env.dtype == np.float32
    frames_ms = np.arange(50) * 40
    loud = (frames_ms > 520) & (frames_ms < 1480)
    quiet = (frames_ms < 480) | (frames_ms > 1520)
    assert np.all(env[loud] > 0.95) and np.all(env[quiet] == 0)


def test_a_click_does_not_squash_the_rest():
    audio = np.concatenate([tone(1.0, amp=0.3), silence(0.5)])
    audio[RATE // 2] = 1.0  # one full-scale sample
    env = amplitude_envelope(audio, RATE, fps=30)
    assert np.median(env[:25]) > 0.9  # the 98th percentile, not the click, sets full scale


def test_silence_and_empty_input():
    assert not np.any(amplitude_envelope(silence(1.0), RATE, 30))
    assert amplitude_envelope(silence(0), RATE, 30).shape == (0,)
    assert len(voiced_intervals(silence(1.0), RATE)) == 0


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, st.integers(0, 4000), elements=st.floats(-1, 1, width=32)),
       st.sampled_from([24, 25, 29.97, 30, 60, 100]))
def test_envelope_shape_and_range(audio, fps):
    env = amplitude_envelope(audio, RATE, fps)
    assert env.shape == (int(np.ceil(len(audio) * fps / RATE)),)
    assert np.all((env >= 0) & (env <= 1))


def test_voiced_intervals_find_the_tone():
    audio = np.concatenate([silence(0.5), tone(1.0), silence(0.5)])
    (speech,) = voiced_intervals(audio, RATE)
    assert speech.value == SPEECH
    assert abs(speech.start - 500) <= 10 and abs(speech.end - 1500) <= 10


def test_short_gaps_are_bridged_long_ones_are_not():
    closure = np.concatenate([tone(0.3), silence(0.05), tone(0.3)])  # like a stop closure
    pause = np.concatenate([tone(0.3), silence(0.3), tone(0.3)])  # a pause between phrases
    assert len(voiced_intervals(closure, RATE)) == 1
    first, second = voiced_intervals(pause, RATE)
    assert abs(first.end - 300) <= 10 and abs(second.start - 600) <= 10


def test_speech_intervals_cover_espeak_speech(speak16k):
    audio, speech = speak16k("Open the window and let the cool air in.")
    padded = np.concatenate([silence(0.5), audio, silence(0.5)])
    found = voiced_intervals(padded, RATE)
    truth = speech.phonemes.shifted(500)
    assert abs(found.start - truth.start) <= 40 and abs(found.end - truth.end) <= 60
