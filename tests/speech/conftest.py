"""Shared fixtures: real eSpeak NG speech, resampled to the recognisers' 16 kHz."""

from __future__ import annotations

import pytest

from mirrorface.speech.audio import resample
from mirrorface.speech.tts import Speech, synthesize


@pytest.fixture(scope="session")
def speak16k():
    """speak16k(text) -> (audio at 16 kHz, eSpeak's Speech); cached per text for the session."""
    cache: dict[str, tuple] = {}

    def speak(text: str):
        if text not in cache:
            speech: Speech = synthesize(text)
            cache[text] = (resample(speech.audio, speech.sample_rate, 16000), speech)
        return cache[text]

    return speak
