"""Streamed sound: each command comes as soon as the sound up to its frame plus the look-ahead has arrived."""

import numpy as np
import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.lipsync.listen import fat_lookahead_s, listen_chunks
from mirrorface.lipsync.speak import LipSyncModels
from mirrorface.speech.audio_model import load_audio_model
from mirrorface.speech.tts import synthesize

BLOCK_S = 0.02


@pytest.fixture(scope="module")
def parts(lips10):
    return LipSyncModels.load(lips10), load_audio_model()


@pytest.fixture(scope="module")
def speech():
    return synthesize("Hello there, papa.")


def arriving(speech, pulled):
    """The sound in 20-ms blocks, noting how much of it the consumer has taken."""
    block = int(BLOCK_S * speech.sample_rate)
    for i in range(0, len(speech.audio), block):
        pulled.append(min(i + block, len(speech.audio)) / speech.sample_rate)
        yield speech.audio[i : i + block]


@pytest.mark.parametrize("lookahead_s", [0.15, 0.3])
def test_a_stream_input_produces_commands_within_the_look_ahead(lips10, parts, speech, lookahead_s):
    models, audio_model = parts
    pulled = []
    chunks = []
    for chunk in listen_chunks(arriving(speech, pulled), speech.sample_rate, Painter(lips10), models, audio_model,
                               lookahead_s):
        last_frame = chunk.start_s + (len(chunk.commands) - 1) / 30
        arrived = pulled[-1]
        if arrived < len(speech.audio) / speech.sample_rate:  # (at the end everything has arrived)
            assert arrived <= last_frame + lookahead_s + BLOCK_S + 1e-9  # it did not wait for more sound
        chunks.append(chunk)
    assert len(chunks) > 5  # commands came out while the sound was still arriving
    frames = sum(len(c.commands) for c in chunks)
    assert frames == int(np.ceil(len(speech.audio) * 30 / speech.sample_rate))
    assert sum(len(c.audio) for c in chunks) == round(frames * speech.sample_rate / 30)  # the sound goes with them
    assert np.allclose(np.concatenate([c.audio for c in chunks])[: len(speech.audio)], speech.audio)
    commands = np.concatenate([c.commands for c in chunks])
    assert np.isfinite(commands).all() and commands.std(axis=0).max() > 0.01  # the lips move


def test_a_look_ahead_shorter_than_the_fat_reads_is_refused(lips10, parts, speech):
    models, audio_model = parts
    too_short = fat_lookahead_s(models, 30.0) - 0.01
    with pytest.raises(MirrorfaceError, match="lookahead-ms must be at least"):
        next(listen_chunks(arriving(speech, []), speech.sample_rate, Painter(lips10), models, audio_model, too_short))


def test_a_staggered_jaw_adds_the_frames_it_waits_for_to_the_look_ahead(lips10, parts):
    from dataclasses import replace

    from mirrorface.lipsync.train_fat import jaw_lead

    models = replace(parts[0], fat_config=replace(parts[0].fat_config, lead=2.0, actuator_lead=()))
    staggered = replace(models, fat_config=replace(models.fat_config, actuator_lead=jaw_lead(lips10, 0.5)))
    assert fat_lookahead_s(staggered, 30.0) == pytest.approx(fat_lookahead_s(models, 30.0) + 1 / 30)


def test_the_look_ahead_counts_a_fractional_lead_as_the_whole_frames_the_fat_waits_for():
    from types import SimpleNamespace

    fat = SimpleNamespace(lead=1.5, horizon=3, actuator_lead=(0.0, 0.5))
    assert fat_lookahead_s(SimpleNamespace(fat_config=fat), 30.0) == pytest.approx((2 + 2 + 1) / 30.0)
