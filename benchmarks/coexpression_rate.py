"""The coexpression loop at other rates, leads and settings, on every smile of a set of people.

    .venv/bin/python benchmarks/coexpression_rate.py [--people validation|report] [--runs coexpress:50:30:1.8 ...]

Each run is MODE:RATE_HZ:CAMERA_FPS:LEAD_FRAMES, with `:raw` at the end for the loop without its
smoother; `coexpress:25:25:1.5` is the 25 Hz loop before it read each camera frame once, exactly.
The people: `validation` (`Population(45, 22, seed=500)` of both generators, what the loop's
settings were chosen on) or `report` (those `mirrorface eval coexpression` scores). Printed per
run and generator, as the report measures them: within 20% of the person's apex commands at the
apex, at 80% of them before it, both; at 80% of its own held pose before the apex; hold jitter
(L1 a second); how far behind the person it gets there (median). About 10 s a run on the 2-core VM.
"""

from __future__ import annotations

import argparse
import math

import torch

from mirrorface.coexpression import predictive as pred
from mirrorface.coexpression import session
from mirrorface.coexpression.loop import LoopConfig
from mirrorface.coexpression.normalize import DEFAULT_K
from mirrorface.coexpression.report import face_commands
from mirrorface.coexpression.smoothing import SmootherConfig
from mirrorface.coexpression.sources import SyntheticSource
from mirrorface.coexpression.timing import against_reference, finished_tracks, summarize, track_timings
from mirrorface.face.spec import load_spec
from mirrorface.hardware.sim import SimFace

DEFAULT_RUNS = ("coexpress:25:25:1.5", "coexpress:30:30:1.8", "coexpress:50:30:1.8", "coexpress:100:30:1.8",
                "mimic:25:25:0", "mimic:50:30:0", "coexpress:25:25:1.5:raw", "coexpress:50:30:1.8:raw")


def populations(people: str) -> dict[str, pred.Population]:
    if people == "validation":
        return {"synthetic": pred.Population(45, 22, 500), "independent": pred.Population(45, 22, 500, "independent")}
    return {"synthetic": pred.EVALUATION, "independent": pred.INDEPENDENT}


def config_of(run: str) -> LoopConfig:
    mode, rate, fps, lead, *raw = run.split(":")
    smoothing = SmootherConfig(min_cutoff=math.inf) if raw == ["raw"] else SmootherConfig()
    return LoopConfig(mode=mode, k=DEFAULT_K, rate_hz=float(rate), camera_fps=float(fps), lead_frames=float(lead),
                      smoothing=smoothing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", choices=("validation", "report"), default="validation")
    parser.add_argument("--runs", nargs="+", default=list(DEFAULT_RUNS), help="MODE:RATE:CAMERA_FPS:LEAD[:raw]")
    args = parser.parse_args()
    torch.set_num_threads(1)
    spec = load_spec("emo26")
    parts = session.load_parts(spec)
    configs = {run: config_of(run) for run in args.runs}  # a bad run is refused before any work
    for name, population in populations(args.people).items():
        smiles = [v for v in population.videos_of() if v.expression == "smile"]
        made = [v.landmarks if v.clean is None else v.clean for v in smiles]
        apex_commands, _ = face_commands(parts, made, [v.apex_frame for v in smiles], DEFAULT_K)
        source = SyntheticSource(smiles)
        for run, config in configs.items():
            with SimFace(spec, seed=0) as face:
                ticks = session.make_loop(face, parts, config).run(source)
            tracks = finished_tracks(ticks, source, parts.outputs, 1.0 / config.rate_hz)
            s = summarize(against_reference(track_timings(ticks, source, parts.outputs, tracks), tracks, source,
                                            apex_commands))
            print(f"{args.people} {name:11s} {run:24s} within 20% at the apex {s['within_20_at_apex']:6.1%}, at 80% "
                  f"before it {s['at_80_before_apex']:6.1%}, both {s['both']:6.1%} ({len(smiles)} smiles); own pose "
                  f"before the apex {s['before_apex']:6.1%}; hold jitter {s['median_hold_jitter']:.2f}/s; "
                  f"behind the person {s['median_lag_vs_human_s'] * 1000:+.0f} ms", flush=True)


if __name__ == "__main__":
    main()
