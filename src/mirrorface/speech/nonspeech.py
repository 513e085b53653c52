"""Sound that is not speech, for teaching the audio model to leave the mouth at rest.

`say --method learned` and `listen` hand every sound to the audio model, and a model that has
only heard speech moves the lips to a fan, a melody or a knock on the table as if someone spoke
(`benchmarks/audio_nonspeech.py`). Rather than a hand-tuned gate in front of the model, training
clips of sound like this carry the articulation of silence as their target, so the model itself
learns what is not speech, at every level from near silence to loud. The same sounds also play
under some speech clips (`audio_corpus.add_background`), whose targets stay the speech's: music in
the room must not silence a speaker.

`nonspeech_audio` draws one or two of these kinds and mixes them:
- coloured noise (spectral slope 0 to -6 dB an octave; hiss, room tone, rumble), steady or with a
  slow random swell;
- harmonic tones: melodies and chords of notes (60-1,500 Hz, 1-12 harmonics with a random
  roll-off, vibrato, soft or sharp attacks): instruments, whistles, a hummed tune without words;
- knocks and clicks: decaying resonances and bursts of noise at random times;
- mains hum and drones: a low fundamental with its harmonics, steady.

The benchmark plays kinds built differently besides these (bells, drums, square waves,
speech-shaped noise) to show what the model makes of sounds it never trained on.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from mirrorface.speech.features import FEATURE_RATE

LEVEL_DBFS = (-55.0, -6.0)  # RMS level of a clip: from near silence to a loud sound at the microphone


def coloured(white: np.ndarray, exponent: float) -> np.ndarray:
    """White noise -> noise whose power falls as 1/f^exponent (1 pink, 2 brown), same length."""
    spectrum = np.fft.rfft(white)
    spectrum /= np.maximum(np.arange(len(spectrum)), 1.0) ** (exponent / 2)
    return np.fft.irfft(spectrum, n=len(white))


def _coloured_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    noise = coloured(rng.standard_normal(n), rng.uniform(0.0, 2.0))
    if rng.random() < 0.5:  # a slow swell (a passing car, wind), 0.2-3 Hz
        t = np.arange(n) / FEATURE_RATE
        noise *= 1 + rng.uniform(0.2, 0.9) * np.sin(2 * np.pi * rng.uniform(0.2, 3.0) * t + rng.uniform(0, 6.3))
    return noise


def _note(n: int, f0: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / FEATURE_RATE
    vibrato = rng.uniform(0, 0.015) * np.sin(2 * np.pi * rng.uniform(4, 7) * t)
    phase = 2 * np.pi * f0 * np.cumsum(1 + vibrato) / FEATURE_RATE
    rolloff = rng.uniform(0.5, 2.5)
    harmonics = [k for k in range(1, int(rng.integers(1, 13)) + 1) if k * f0 < FEATURE_RATE / 2]
    tone = sum(np.sin(k * phase + rng.uniform(0, 6.3)) / k**rolloff for k in harmonics)
    attack = max(1, int(rng.uniform(0.002, 0.08) * FEATURE_RATE))
    envelope = np.minimum(1.0, np.arange(n) / attack) * np.exp(-t * rng.uniform(0.0, 6.0))
    return tone * envelope


def _tones(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):  # 1-3 melodies at once, their notes overlapping like chords
        start = 0
        while start < n:
            length = min(n - start, int(rng.uniform(0.08, 0.8) * FEATURE_RATE))
            f0 = float(np.exp(rng.uniform(np.log(60), np.log(1500))))
            out[start:start + length] += _note(length, f0, rng)
            start += length
    return out


def _knocks(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    for start in rng.integers(0, n, int(rng.integers(1, 12))):
        length = min(n - start, int(rng.uniform(0.02, 0.3) * FEATURE_RATE))
        t = np.arange(length) / FEATURE_RATE
        decay = np.exp(-t * rng.uniform(15, 80))
        if rng.random() < 0.5:  # a resonance (wood, glass)
            hit = np.sin(2 * np.pi * rng.uniform(80, 3000) * t) * decay
        else:  # a click or a clap
            hit = rng.standard_normal(length) * decay
        out[start:start + length] += hit * rng.uniform(0.2, 1.0)
    return out


def _hum(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / FEATURE_RATE
    f0 = rng.choice([50.0, 60.0, float(rng.uniform(40, 250))])
    hum = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) * rng.uniform(0, 1) / k for k in range(1, 8))
    return hum + 0.05 * rng.standard_normal(n)


KINDS = (_coloured_noise, _tones, _knocks, _hum)


def nonspeech_audio(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) float32 samples at FEATURE_RATE: one or two kinds of non-speech sound, mixed, at a random level."""
    picks = rng.choice(len(KINDS), size=int(rng.integers(1, 3)), replace=False)
    mix = np.zeros(n)
    for k in picks:
        part = KINDS[k](n, rng)
        mix += part / (np.sqrt(np.mean(part**2)) + 1e-9) * rng.uniform(0.3, 1.0)
    if rng.random() < 0.3:  # a band-limited source: a small loudspeaker, a phone
        mix = lfilter([1.0, -rng.uniform(0.5, 0.97)], [1.0], mix)
    level = 10 ** (rng.uniform(*LEVEL_DBFS) / 20)
    # the level is the RMS, so loud knocks (peaks 15-40x their RMS) clip, as an overloaded microphone does
    return np.clip(mix / (np.sqrt(np.mean(mix**2)) + 1e-9) * level, -1.0, 1.0).astype(np.float32)
