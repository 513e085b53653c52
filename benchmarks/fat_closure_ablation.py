"""Why the FAT's lips shut through vowels: the candidate causes of issue 16, measured.

    .venv/bin/python benchmarks/fat_closure_ablation.py --data data/lips10-babble [--steps 1000]

Builds the FAT's training sequences once (babbling + four latent-matching iterations), prints
how often the babbling poses and the matched commands are shut, then trains the FAT variants
(reversed data or not, closure loss on every frame, on closure frames only, or none) for
`--steps` and performs each on validation utterances: the audio corpus's held-out English
sentences in two training voices (never `eval articulation`'s test material). Figures: the
commanded and executed share of vowel time with the lips shut, bilabial hits beside the
500 ms late control, labiodental contact. 5-15 min on the 2-core VM, by its load.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from mirrorface.articulation.coarticulation import A
from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import measure_paths, pool
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import load_spec
from mirrorface.lipsync.frames import training_sentences
from mirrorface.lipsync.speak import CHECKPOINTS, LipSyncModels
from mirrorface.lipsync.train_fat import FATTraining, fit_fat, training_sequences
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.speech import audio_corpus, tts
from mirrorface.training.checkpoint import load_model

VARIANTS = {  # name: (reverse, closure_frames, lambda)
    "paper (reversed data, closure loss on every frame)": (True, "all", 1.0),
    "no reversed data": (False, "all", 1.0),
    "no closure loss": (True, "all", 0.0),
    "closure loss on closure frames only": (True, "closures", 1.0),
    "no reversed data + closure frames only": (False, "closures", 1.0),
}


def validation_utterances() -> list[Utterance]:
    """The audio corpus's held-out English sentences in two training voices: never the test material."""
    validation = []
    for text in audio_corpus.split("en")[1]:
        for variant in ("", "+m2"):
            speech = tts.synthesize(text, "en", variant=variant)
            validation.append(Utterance(speech.audio, speech.sample_rate, "en", speech.phonemes, "tts"))
    return validation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/lips10-babble")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec, settings = load_spec("lips10"), FATTraining()
    painter = Painter(spec)
    vae = load_model(VAE, VAEConfig, CHECKPOINTS / "lips10" / "vae", "VAE", "mirrorface train vae")
    started = time.perf_counter()
    sequences, targets, closing, _ = training_sequences(vae, args.data, settings)
    print(f"training sequences built in {time.perf_counter() - started:.0f} s")
    babble = [s for s in sequences if s.closing is None]
    matched = [s for s in sequences if s.closing is not None]
    shut = art.lip_gap_mm(painter, np.concatenate([s.commands for s in babble])) < art.CLOSURE_THRESHOLD_MM
    print(f"babbling poses shut: {shut.mean():.1%}; target mouths shut: {np.concatenate(closing).mean():.1%}")
    tracks = [track_of(u, spec.camera.fps) for u in training_sentences(settings.voicings, settings.seed + 1)]
    for i in range(len(matched) // len(targets)):
        closed = total = 0
        for track, seq in zip(tracks, matched[i * len(targets):(i + 1) * len(targets)], strict=True):
            # command k aims at target frame k + 1: its vowel frames, minus closures
            vowel = np.array([v in art.VOWEL_VISEMES for v in track.visemes])[1:]
            vowel &= track.values[1:, A["bilabial"]] < 0.5
            gap = art.lip_gap_mm(painter, seq.commands)
            closed, total = closed + int((gap[vowel] < art.CLOSURE_THRESHOLD_MM).sum()), total + int(vowel.sum())
        print(f"matching iteration {i + 1}: matched commands shut on {closed / total:.1%} of target vowel frames")
    validation = validation_utterances()
    for name, (reverse, frames, weight) in VARIANTS.items():
        started = time.perf_counter()
        variant = replace(settings, reverse=reverse, closure_frames=frames,
                          train=replace(settings.train, steps=args.steps, save_every=10**9))
        fat, _ = fit_fat(sequences, spec, None, variant, {"closure_weight": weight, "lead": 2.0})
        models = LipSyncModels.of(vae, fat.eval())
        rows: dict[str, list[dict]] = {"text/commanded": [], "text/executed": []}
        for utt in validation:
            for path, row in measure_paths(spec, models, utt, tuple(rows)).items():
                rows[path].append(row)
        figures = "; ".join(
            f"{path.split('/')[1]}: vowel time shut {f['vowel_closed']['rate']:.1%}, bilabial "
            f"{f['bilabial']['rate']:.0%} (late {f['bilabial_shifted']['rate']:.0%}), labiodental "
            f"{f['labiodental']['rate']:.0%}" for path, f in ((p, pool(r)) for p, r in rows.items()))
        print(f"[{name}] {time.perf_counter() - started:.0f} s  {figures}", flush=True)


if __name__ == "__main__":
    main()
