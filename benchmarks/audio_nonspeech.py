"""What the audio model makes of sound that is not speech: noise, music, knocks, near silence.

    python benchmarks/audio_nonspeech.py [--model DIR] [--baseline DIR] [--seconds 10]

`say --method learned` and `listen` hand every sound to the audio model; the model learns to
leave the mouth at rest from non-speech training clips (`speech.nonspeech`). This plays two models
(by default the shipped one, and `--baseline`, a model trained without such clips, when given)
seeded sounds at -20 dBFS, of two groups:
- kinds the training draws from, drawn here by other code and seeds: white and pink noise, a
  melody of harmonic tones, a swelling chord;
- kinds it never hears: FM bells, a drum loop, a square-wave arpeggio, speech-shaped noise (pink
  noise in the long-term spectrum of speech, swelling at the syllable rate), and white noise at
  -60 dBFS, quieter than any training clip;
and speech: a sentence of the held-out voice Flite slt (when installed) at its synthesizer's level
(about -16 dBFS), alone and with the melody 10 dB below it, which must still move the lips.
For the drawn mouth (`eval.articulation.target_gap_mm`, 150 Hz) it prints the mean and SD of the
lip gap, how much it moves frame to frame, and the share of time the lips are shut (gap under 1
mm), beside the rest pose's gap: a mouth at rest on non-speech reads the rest gap (0.49 mm, which
counts as shut) and moves 0. With `--executed` it also performs what `say --method learned` plans
for each sound (the shipped audio model, VAE and FAT of lips10) on the simulated face and prints
the face's own lip gap at 150 Hz (about 1 min more).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from mirrorface.articulation.coarticulation import articulate
from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import PROBE_RATE, probe_motion
from mirrorface.speech.audio import resample
from mirrorface.speech.audio_model import load_audio_model, predict_frames, resample_frames
from mirrorface.speech.features import FEATURE_RATE
from mirrorface.speech.synthesizers import available, synthesize_other
from mirrorface.timeline import Timeline

SPEECH = "The painter picked a bright blue frame for the map of five valleys."
# Paul Kellet's economy filter: white noise -> pink (-3 dB an octave) within 0.05 dB above 10 Hz
PINK_B, PINK_A = [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1, -2.494956002, 2.017265875, -0.522189400]


def at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x / np.sqrt(np.mean(x**2)) * 10 ** (dbfs / 20)).astype(np.float32)


def trained_kinds(n: int, t: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    note = n // 40  # 40 notes of a random melody, five harmonics each, soft onsets
    melody = np.concatenate([
        sum(np.sin(2 * np.pi * k * f * t[:note]) / k for k in range(1, 6)) * np.hanning(note) ** 0.3
        for f in 220 * 2 ** (rng.integers(0, 12, 40) / 12)])
    chord = sum(np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0)) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    return {"white noise": rng.standard_normal(n), "pink noise": lfilter(PINK_B, PINK_A, rng.standard_normal(n)),
            "melody": np.pad(melody, (0, n - len(melody))), "chord": chord}


def unheard_kinds(n: int, t: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    bells = np.zeros(n)
    for start in rng.integers(0, n - FEATURE_RATE, 12):  # FM bells: inharmonic partials, long decay
        tb = t[: FEATURE_RATE]
        f = float(rng.uniform(300, 1200))
        index = 4.0 * np.exp(-3 * tb)
        bells[start:start + FEATURE_RATE] += np.sin(2 * np.pi * f * tb + index * np.sin(2 * np.pi * 1.4 * f * tb)) \
            * np.exp(-2.5 * tb)
    beat = FEATURE_RATE // 4  # 120 beats a minute in eighths: kick, hat, snare, hat
    tk = t[:beat]
    kick = np.sin(2 * np.pi * (50 * tk + 100 / 30 * (1 - np.exp(-30 * tk)))) * np.exp(-12 * tk)
    snare = (rng.standard_normal(beat) * 0.6 + np.sin(2 * np.pi * 200 * tk)) * np.exp(-20 * tk)
    hat = np.diff(rng.standard_normal(beat + 1)) * np.exp(-60 * tk) * 0.4
    drums = np.tile(np.concatenate([kick + hat, hat, snare, hat]), n // (4 * beat) + 1)[:n]
    arp = np.concatenate([np.sign(np.sin(2 * np.pi * f * t[: FEATURE_RATE // 8]))
                          for f in np.tile([261.6, 329.6, 392.0, 523.3], 80)])[:n]
    # pink noise shaped like speech's long-term spectrum (a broad peak near 500 Hz), its level
    # drawn anew every 250 ms like syllables: the envelope of speech without its spectral detail
    shaped = lfilter([1.0, 0.0, -1.0], [1.0, -1.8 * np.cos(2 * np.pi * 500 / FEATURE_RATE), 0.81],
                     lfilter(PINK_B, PINK_A, rng.standard_normal(n)))
    syllables = np.interp(t, np.arange(0, t[-1] + 0.25, 0.25), rng.uniform(0, 1, int(t[-1] / 0.25) + 2)) ** 2
    return {"FM bells": bells, "drum loop": drums, "square arpeggio": np.pad(arp, (0, n - len(arp))),
            "speech-shaped noise": shaped * syllables}


def drawn(model, audio: np.ndarray) -> np.ndarray:
    """The drawn lip gap (mm) at PROBE_RATE for a sound, closures shut as `say` shuts them."""
    values, _ = predict_frames(model, audio, FEATURE_RATE)
    return art.target_gap_mm(resample_frames(values, 1000.0 * len(audio) / FEATURE_RATE, PROBE_RATE))


def performed(audio: np.ndarray) -> np.ndarray:
    """The lip gap (mm) of lips10 performing what `say --method learned` plans for a sound, at PROBE_RATE."""
    from mirrorface.articulation.sources import Utterance
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.lipsync.speak import LipSyncModels, plan_speech

    spec = load_spec("lips10")
    painter = Painter(spec, seed=0)
    plan = plan_speech(Utterance(audio, FEATURE_RATE, "en", None, "learned"), painter, LipSyncModels.load(spec))
    return art.lip_gap_mm(painter, probe_motion(spec, plan.commands, spec.camera.fps, seed=1))


def row(gap: np.ndarray) -> str:
    return (f"{gap.mean():5.2f} mm (SD {gap.std():4.2f}) moves {np.abs(np.diff(gap)).mean():.3f}, "
            f"shut {np.mean(gap < art.CLOSURE_THRESHOLD_MM):5.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--baseline", type=Path, default=None, help="a second checkpoint folder to print beside it")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each sound")
    parser.add_argument("--executed", action="store_true", help="also the face performing the shipped models")
    args = parser.parse_args()
    models = {"model": load_audio_model(args.model)}
    if args.baseline is not None:
        models["baseline"] = load_audio_model(args.baseline)
    n = int(args.seconds * FEATURE_RATE)
    t = np.arange(n) / FEATURE_RATE
    rng = np.random.default_rng(0)
    groups = {"kinds trained on (other draws)": {k: at_level(x, -20) for k, x in trained_kinds(n, t, rng).items()},
              "kinds never trained on": {k: at_level(x, -20) for k, x in unheard_kinds(n, t, rng).items()}}
    groups["kinds never trained on"]["white noise at -60 dBFS"] = at_level(rng.standard_normal(n), -60)
    if available("flite:slt"):
        spoken = synthesize_other(SPEECH, "flite:slt")
        speech = resample(spoken.audio, spoken.sample_rate, FEATURE_RATE)
        level = 10 * np.log10(np.mean(speech**2))
        backing = groups["kinds trained on (other draws)"]["melody"][: len(speech)]
        groups["speech (Flite slt, held out)"] = {
            "alone": speech, "a melody 10 dB below": np.clip(speech + at_level(backing, level - 10), -1, 1)}
    rest = art.target_gap_mm(articulate(Timeline([]), 100.0, PROBE_RATE).values[:1])[0]
    print(f"drawn lip gap at {PROBE_RATE:.0f} Hz; shut below {art.CLOSURE_THRESHOLD_MM} mm; the rest pose: "
          f"{rest:.2f} mm")
    for name, folder in (("model", args.model or "the shipped one"), ("baseline", args.baseline)):
        if name in models:
            print(f"{name}: {folder} (closure threshold {models[name].config.closure_threshold})")
    for group, sounds in groups.items():
        print(group)
        for name, audio in sounds.items():
            print(f"  {name:24s} " + " | ".join(f"{which} {row(drawn(m, audio))}" for which, m in models.items()))
            if args.executed:
                print(f"  {'':24s} executed on the face (shipped models) {row(performed(audio))}")


if __name__ == "__main__":
    main()
