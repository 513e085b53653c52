"""Which lead, and which extra lead for the jaw, time a trained FAT's executed closures best.

    .venv/bin/python benchmarks/fat_lead_sweep.py [--models models/lips10] [--leads 1.0,1.5,2.0]

Plans each validation utterance once (never `eval articulation`'s test material: the audio
corpus's held-out English sentences in two training voices, and the FAT's 12 training sentences
in two other seeded training voicings: 30 utterances, 152 bilabials, 22 f/v), then streams its
target latents through the FAT at every lead and sends the jaw its commands `--jaw-leads` frames
earlier than the rest (`speak.stagger`), performs them on the simulated face and measures at
150 Hz what `eval articulation` does: bilabial hits beside the 500 ms late control, lip-teeth
contact, vowel time shut, closure onset, with their 95% intervals over the 15 sentences
(`unseen_speech.intervals95`): 22 f/v are few, and recipes have been judged on them.
About 1 min on the 2-core VM.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from fat_closure_ablation import validation_utterances
from mirrorface.eval import articulation as art
from mirrorface.eval.unseen_speech import PROBE_RATE, Truth, measure, pool, probe_motion
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import load_spec
from mirrorface.lipsync.frames import training_sentences
from mirrorface.lipsync.speak import LipSyncModels, plan_speech, stagger, stream_commands
from mirrorface.lipsync.train_fat import jaw_lead


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="vae/ and fat/ (default: the shipped lips10 models)")
    parser.add_argument("--leads", type=floats, default=[1.0, 1.5, 2.0, 2.5])
    parser.add_argument("--jaw-leads", type=floats, default=[0.0, 0.5, 1.0])
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = load_spec("lips10")
    models, painter, fps = LipSyncModels.load(spec, args.models), Painter(spec), spec.camera.fps
    rows: dict[tuple[float, float], list[dict]] = {}
    for utt in validation_utterances() + training_sentences(2, seed=99):
        truth, latents = Truth.of(utt), plan_speech(utt, painter, models).latents
        for frames in args.leads:
            plain = list(stream_commands(models.stream(spec.neutral), latents, frames))  # one FAT run a lead
            for jaw in args.jaw_leads:
                commands = np.stack(list(stagger(plain, jaw_lead(spec, jaw))))
                positions = probe_motion(spec, commands, fps, seed=1)
                rows.setdefault((frames, jaw), []).append(measure(
                    art.lip_gap_mm(painter, positions), art.labiodental_contact(painter, positions), PROBE_RATE, truth))
    print(f"models {args.models or 'shipped'} (calibrated: lead {models.fat_config.lead}, "
          f"actuator lead {models.fat_config.actuator_lead or 'none'})")
    for k, ((frames, jaw), r) in enumerate(sorted(rows.items())):
        f = pool(r, [i // 2 for i in range(len(r))])  # both lists go sentence by sentence, two voicings each
        ci = f["intervals95"]
        if k == 0:
            print(f"in brackets: 95% intervals, bootstrap over the {ci['sentences']} sentences "
                  "(-: under 10 with any to count)")
        print(f"lead {frames} jaw +{jaw}: bilabial {f['bilabial']['rate']:.1%} {band(ci['bilabial'])} "
              f"(late {f['bilabial_shifted']['rate']:.1%}, n={f['bilabial']['n']}), "
              f"labiodental {f['labiodental']['rate']:.1%} {band(ci['labiodental'])} (n={f['labiodental']['n']}), "
              f"vowel time shut {f['vowel_closed']['rate']:.1%} {band(ci['vowel_closed'])}, "
              f"onset {f['onset']['median_ms']:+.0f} ms (|{f['onset']['median_abs_ms']:.0f}| "
              f"{band(ci['onset_abs_ms'], 'ms')})", flush=True)


def band(pair: list[float] | None, unit: str = "%") -> str:
    if pair is None:
        return "[-]"
    return f"[{pair[0]:.0%}-{pair[1]:.0%}]" if unit == "%" else f"[{pair[0]:.0f}-{pair[1]:.0f}]"


if __name__ == "__main__":
    main()
