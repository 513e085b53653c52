"""Lips for speech that arrives as a stream (a pipe, a microphone), with a bounded look-ahead.

    audio blocks -> the learned audio model on a sliding window (0.7 s of past, at most
    `future_s` of future) -> articulator frames -> target mouth crops -> VAE -> the FAT stream
    -> `Chunk`s of commands with the sound they belong to (for `live.perform_live`)

Each command may use the sound up to `lookahead_s` after its own frame and no more: that is how
far lips may lead the sound (80-300 ms in human speech), and how long the sound is held back
before it is played. The FAT's own look-ahead (its lead and its horizon, 100 ms for the shipped
lips10 models) is part of it; the audio model gets the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.phonemes import Viseme
from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.lipsync.live import Chunk
from mirrorface.lipsync.speak import LipSyncModels, target_latents
from mirrorface.models.audio2artic import Audio2Artic
from mirrorface.speech.audio_model import predict_articulation
from mirrorface.timeline import Timeline

CONTEXT_S = 0.7  # past sound each window shows the audio model (its receptive field reaches 640 ms back)


def fat_lookahead_s(models: LipSyncModels, fps: float) -> float:
    """How far past its own frame the FAT reads target latents (its lead plus its horizon, and the
    frames a staggered actuator waits for)."""
    fat = models.fat_config
    # whole frames, as `speak._fat_steps` waits for them
    return (math.ceil(fat.lead) + fat.horizon - 1 + math.ceil(max(fat.actuator_lead, default=0))) / fps


def articulation_frames(blocks: Iterable[np.ndarray], sample_rate: int, fps: float, model: Audio2Artic,
                        future_s: float, batch: int = 3) -> Iterator[np.ndarray]:
    """Audio blocks -> blocks of (frames, 9) articulator values; frame k once the sound up to
    k / fps + `future_s` has arrived, `batch` frames at a time (one model call each; the rest at
    the end of the stream)."""
    context = math.ceil(CONTEXT_S * fps)
    kept, kept_from, total, done = np.zeros(0, np.float32), 0, 0, 0  # kept[0] is sample kept_from

    def window(ready: int) -> np.ndarray:
        nonlocal kept, kept_from
        first = max(0, done - context)
        start = round(first * sample_rate / fps)
        values = predict_articulation(model, kept[start - kept_from :], sample_rate, fps)
        kept, kept_from = kept[start - kept_from :], start  # keep only what the next window needs
        return values[done - first : ready - first]

    for block in blocks:
        kept = np.concatenate([kept, block])
        total += len(block)
        ready = math.floor((total / sample_rate - future_s) * fps) + 1  # frames whose future has come
        if ready >= done + batch:
            yield window(ready)
            done = ready
    end = math.ceil(total * fps / sample_rate)
    if end > done:
        yield window(end)


def _track(values: np.ndarray, fps: float) -> Track:
    """Articulator frames as a track to paint (frame times are the painter's noise seeds only)."""
    return Track(fps, np.arange(len(values)) * 1000.0 / fps, values, [Viseme.REST] * len(values), Timeline())


def listen_chunks(blocks: Iterable[np.ndarray], sample_rate: int, painter: Painter, models: LipSyncModels,
                  audio_model: Audio2Artic, lookahead_s: float, chunk_frames: int = 3) -> Iterator[Chunk]:
    """Streamed sound -> chunks of `chunk_frames` commands with their sound, each within `lookahead_s`."""
    fps = painter.spec.camera.fps
    future_s = lookahead_s - fat_lookahead_s(models, fps)
    if future_s < 0:
        raise MirrorfaceError(f"--lookahead-ms must be at least {fat_lookahead_s(models, fps) * 1000:.0f} ms for "
                              "these models (the FAT itself reads that far ahead)")
    heard: list[np.ndarray] = []  # the sound, kept until its commands go out with it

    def arriving() -> Iterator[np.ndarray]:
        for block in blocks:
            heard.append(np.asarray(block, np.float32))
            yield heard[-1]

    def latents() -> Iterator[np.ndarray]:
        for values in articulation_frames(arriving(), sample_rate, fps, audio_model, future_s, chunk_frames):
            yield from target_latents(painter, _track(values, fps), models, chunk=len(values))

    commands, first, sent_samples = [], 0, 0
    stream = models.stream(painter.spec.neutral)
    for command in models.commands(stream, latents()):
        commands.append(command)
        if len(commands) == chunk_frames:
            yield _chunk(commands, first, heard, sent_samples, sample_rate, fps)
            first, sent_samples = first + len(commands), round((first + len(commands)) * sample_rate / fps)
            commands = []
    if commands:
        yield _chunk(commands, first, heard, sent_samples, sample_rate, fps)


def _chunk(commands: list[np.ndarray], first: int, heard: list[np.ndarray], sent: int, sample_rate: int,
           fps: float) -> Chunk:
    """Commands first .. first + len - 1 and their sound, taken off the front of `heard`."""
    wanted = round((first + len(commands)) * sample_rate / fps) - sent
    sound = np.concatenate(heard) if heard else np.zeros(0, np.float32)
    audio = np.zeros(wanted, np.float32)
    audio[: min(wanted, len(sound))] = sound[:wanted]
    heard[:] = [sound[wanted:]]
    return Chunk(first / fps, audio, sample_rate, np.stack(commands), fps)
