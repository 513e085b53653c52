"""Which lip closures the audio model finds, by phoneme, and how marked each is in the sound.

    python benchmarks/audio_closures.py [--model DIR] [--voices flite:slt,flite:awb] [--test]

For every bilabial closure of the sentences (`audio_corpus.VALIDATION_SENTENCES`' English ones;
`--test`: `eval articulation`'s 26 test sentences, for a diagnosis only, never to choose anything),
spoken by each voice, prints per closing phoneme (/p/ /b/ /m/): closures found (the planned lips
shut for half the closure, as `mirrorface eval articulation` counts them, beside the same track
500 ms late, its chance control), the closure's median
length, how far its sound falls below the louder of the 80 ms either side (dB; a voiceless stop
is silent, a nasal hums as loud as the vowels around it), and the closure output's median peak
inside it, and how many missed closures the closure output does cover (over the model's threshold
for half the closure) while the drawn lips stay apart (`audio_model.shut_closures` leaves the
teeth the model shows). A closure that is silent and still missed is missed for want of what
tells /p/ from /t/ and /k/ (the formant transitions), not of loudness.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from mirrorface.articulation.sources import Utterance, track_of
from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import PROBE_RATE
from mirrorface.eval.unseen_speech import SENTENCES as TEST_SENTENCES
from mirrorface.speech import audio_corpus
from mirrorface.speech.audio_model import load_audio_model, predict_frames, resample_frames
from mirrorface.speech.synthesizers import available, synthesize_other

CONTEXT_MS = 80  # sound either side of a closure its level is compared with


def level_db(audio: np.ndarray, rate: int, start_ms: float, end_ms: float) -> float:
    x = audio[max(0, int(start_ms * rate / 1000)):int(end_ms * rate / 1000)].astype(np.float64)
    return float(10 * np.log10(np.mean(x**2) + 1e-10)) if len(x) else float("nan")


def closures_of(model, text: str, voice: str) -> list[dict]:
    """Each bilabial closure of one sentence in one voice: phoneme, length, dip, found, peak."""
    speech = synthesize_other(text, voice)
    truth = track_of(Utterance(speech.audio, speech.sample_rate, "en", speech.phonemes, "tts"), PROBE_RATE)
    values, prob = predict_frames(model, speech.audio, speech.sample_rate)  # one inference: shaped values and prob
    planned = resample_frames(values, 1000.0 * len(speech.audio) / speech.sample_rate, PROBE_RATE)
    gap = art.target_gap_mm(planned)
    late = art.delayed(gap, PROBE_RATE)  # the chance control: the same track 500 ms late
    audio, rate, rows = speech.audio, speech.sample_rate, []
    for c in truth.closures:
        counted = art.closure_hit_rate(gap, PROBE_RATE, [(c.start, c.end)])  # as `eval articulation` counts
        if not counted["n"]:
            continue
        around = max(level_db(audio, rate, c.start - CONTEXT_MS, c.start),
                     level_db(audio, rate, c.end, c.end + CONTEXT_MS))
        inside = prob[int(c.start / 10):max(int(c.start / 10) + 1, int(np.ceil(c.end / 10)))]  # 100 Hz frames
        rows.append({"phoneme": c.value[:1], "ms": c.end - c.start,
                     "dip_db": level_db(audio, rate, c.start, c.end) - around,
                     "found": bool(counted["hits"]),
                     "late": bool(art.closure_hit_rate(late, PROBE_RATE, [(c.start, c.end)])["hits"]),
                     "covered": bool(np.mean(inside > model.config.closure_threshold) >= art.HIT_FRACTION),
                     "peak": float(inside.max()) if len(inside) else float("nan")})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: the shipped one)")
    parser.add_argument("--voices", default="flite:slt,festival:slt_hts,flite:awb,flite:rms",
                        help="comma-separated voices of other synthesizers")
    parser.add_argument("--test", action="store_true", help="the test sentences (a diagnosis, not a choice)")
    args = parser.parse_args()
    model = load_audio_model(args.model)
    sentences = TEST_SENTENCES if args.test else audio_corpus.VALIDATION_SENTENCES["en"]
    began = time.perf_counter()
    print(f"{len(sentences)} {'test' if args.test else 'validation'} sentences; closure threshold "
          f"{model.config.closure_threshold:.2f}; dip: the closure's level below the louder {CONTEXT_MS} ms beside it")
    for voice in args.voices.split(","):
        if not available(voice):
            print(f"{voice}: not installed")
            continue
        rows = [r for text in sentences for r in closures_of(model, text, voice)]
        found, late = (np.mean([r[key] for r in rows]) for key in ("found", "late"))
        print(f"{voice}: {len(rows)} closures, found {found:.1%} (500 ms late {late:.1%})")
        for phoneme in "pbm":
            mine = [r for r in rows if r["phoneme"] == phoneme]
            if mine:
                med = {k: np.nanmedian([r[k] for r in mine]) for k in ("ms", "dip_db", "peak")}
                missed = np.nanmedian([r["dip_db"] for r in mine if not r["found"]] or [np.nan])
                open_covered = sum(r["covered"] and not r["found"] for r in mine)
                print(f"  /{phoneme}/ {len(mine):3d}: found {np.mean([r['found'] for r in mine]):5.1%} "
                      f"(500 ms late {np.mean([r['late'] for r in mine]):5.1%}), "
                      f"{med['ms']:3.0f} ms, dip {med['dip_db']:6.1f} dB (missed ones {missed:6.1f}), "
                      f"closure output peak {med['peak']:.2f}, {open_covered} missed though it covers them")
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
