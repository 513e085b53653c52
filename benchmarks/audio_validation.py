"""The audio model on its validation split, at its own closure threshold and around it.

    python benchmarks/audio_validation.py [--model DIR] [--out scores.json]

Scores the learned/planned path on `audio_corpus.validation_corpus` (sentences and a voice that
no training run and no evaluation uses) as `mirrorface eval articulation` scores its test set:
bilabial hits (500 ms late control) and lips shut in vowel time, per voice. Recipes and the
closure threshold are chosen on these figures, never on the held-out voices.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mirrorface.eval.audio_validation import MAX_VOWEL_SHUT, THRESHOLDS, percent, pick_threshold, validation_scores
from mirrorface.speech import audio_corpus
from mirrorface.speech.audio_model import load_audio_model
from mirrorface.speech.synthesizers import available


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=None, help="write every figure here as JSON")
    args = parser.parse_args()
    model = load_audio_model(args.model)
    began = time.perf_counter()
    corpus = audio_corpus.validation_corpus(tuple(v for v in audio_corpus.VALIDATION_VOICES if available(v)))
    own = model.config.closure_threshold
    scores = validation_scores(model, corpus, tuple(sorted({own, *THRESHOLDS})))
    picked = pick_threshold(scores)
    for threshold, figures in scores.items():
        mark = "".join((" (the model's)" if threshold == own else "",
                        f" (the most hits within {MAX_VOWEL_SHUT:.0%} vowel time shut)" if threshold == picked else ""))
        print(f"threshold {threshold:.2f}{mark}: bilabial hit (late), vowel time shut")
        for voice, f in [*figures["per_voice"].items(), ("all", figures["all"])]:
            print(f"  {voice:16s} {percent(f['bilabial']['rate'])} ({percent(f['bilabial_shifted']['rate'])}), "
                  f"{percent(f['vowel_closed']['rate'])}")
    print(f"{len(corpus)} utterances, {time.perf_counter() - began:.0f} s")
    if args.out:
        args.out.write_text(json.dumps({str(k): v for k, v in scores.items()}, indent=1))


if __name__ == "__main__":
    main()
