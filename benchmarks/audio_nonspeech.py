"""What the audio model makes of sound that is not speech: noise, music, near silence.

    python benchmarks/audio_nonspeech.py [--model DIR] [--seconds 10]

`say --method learned` and `listen` have no voice-activity gate: every sound reaches the model.
This plays it seeded signals at -20 dBFS (white and pink noise, a melody of harmonic tones, a
sustained chord, noise at -60 dBFS) beside a sentence of speech in the held-out voice Flite slt
(when installed), and prints, for the drawn mouth (`eval.articulation.target_gap_mm`, 150 Hz):
the mean and SD of the lip gap, how much it moves frame to frame, and the share of time the lips
are shut (gap under 1 mm; the model's closure threshold decides where its closures shut them).
The speech is at its synthesizer's level (about -16 dBFS) and length. A mouth that moves on noise
as it does on speech is what a gate would stop.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import PROBE_RATE
from mirrorface.speech.audio import resample
from mirrorface.speech.audio_model import infer_frames, load_audio_model, resample_frames, shut_closures
from mirrorface.speech.features import FEATURE_RATE
from mirrorface.speech.synthesizers import available, synthesize_other

SPEECH = "The painter picked a bright blue frame for the map of five valleys."
# Paul Kellet's economy filter: white noise -> pink (-3 dB an octave) within 0.05 dB above 10 Hz
PINK_B, PINK_A = [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.522189400]


def at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x / np.sqrt(np.mean(x**2)) * 10 ** (dbfs / 20)).astype(np.float32)


def signals(seconds: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = int(seconds * FEATURE_RATE)
    t = np.arange(n) / FEATURE_RATE
    note = n // 40  # 40 notes of a random melody, five harmonics each, soft onsets
    melody = np.concatenate([
        sum(np.sin(2 * np.pi * k * f * t[:note]) / k for k in range(1, 6)) * np.hanning(note) ** 0.3
        for f in 220 * 2 ** (rng.integers(0, 12, 40) / 12)])
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0)) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    return {"white noise": at_level(rng.standard_normal(n), -20),
            "pink noise": at_level(lfilter(PINK_B, PINK_A, rng.standard_normal(n)), -20),
            "melody": at_level(np.pad(melody, (0, n - len(melody))), -20),
            "chord": at_level(chord, -20),
            "noise at -60 dBFS": at_level(rng.standard_normal(n), -60)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each signal")
    args = parser.parse_args()
    model = load_audio_model(args.model)
    sounds = signals(args.seconds, np.random.default_rng(0))
    if available("flite:slt"):
        speech = synthesize_other(SPEECH, "flite:slt")
        sounds["speech (Flite slt)"] = resample(speech.audio, speech.sample_rate, FEATURE_RATE)
    threshold = model.config.closure_threshold
    print(f"drawn lip gap at {PROBE_RATE:.0f} Hz; lips shut below {art.CLOSURE_THRESHOLD_MM} mm; "
          f"closure threshold {threshold}")
    for name, audio in sounds.items():
        values, prob = infer_frames(model, audio, FEATURE_RATE)
        track = resample_frames(shut_closures(values, prob, threshold), 1000.0 * len(audio) / FEATURE_RATE,
                                PROBE_RATE)
        gap = art.target_gap_mm(track)
        print(f"  {name:20s} gap {gap.mean():5.2f} mm (SD {gap.std():4.2f}), moves "
              f"{np.abs(np.diff(gap)).mean():.3f} mm a frame, shut {np.mean(gap < art.CLOSURE_THRESHOLD_MM):5.1%}")


if __name__ == "__main__":
    main()
