"""The coexpression report as Markdown: tables of what `report.build_report` measured."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [_row(*header), _row(*["---"] * len(header)), *(_row(*r) for r in rows)]


def _stats(s: dict, digits: int) -> list[str]:
    f = f"{{:.{digits}f}}"
    return [f.format(s["mean"]), f.format(s["sd"]), f.format(s["sem"]),
            f"{f.format(s['ci95'][0])}-{f.format(s['ci95'][1])}", f.format(s["median"])]


def _pct(x: float) -> str:
    return f"{x:.1%}"


def inverse_lines(inverse: dict) -> list[str]:
    lines = ["## 1. The inverse model (the paper's Fig. 4A)", "",
             "L1 distance between the commands a method proposes for a face and the commands that made it, per "
             "command (normalized to [0, 1]). Baselines: random commands (uniform), a random face (the commands of "
             "a random training join), the nearest neighbour (the commands of the nearest training halves). "
             "p: paired t-test against the inverse model.", ""]
    for name, result in inverse.items():
        n = next(iter(result["methods"].values()))["n"]
        rows = [[m, *_stats(s, 3), "" if m == "inverse model" else f"{result['t_test_vs_inverse_model'][m]:.1e}"]
                for m, s in result["methods"].items()]
        header = ["method", "mean", "SD", "SEM", "95% CI", "median", "p"]
        by_command = ", ".join(f"{c} {e:.3f}" for c, e in result["by_command"].items())
        lines += [f"**{name}** ({n} faces)", "", *_table(header, rows), "",
                  f"The inverse model's L1 by command: {by_command}.", ""]
    return [*lines, "![inverse model](figures/inverse_l1.png)", ""]


def predictive_lines(p: dict, population: dict) -> list[str]:
    names = {"model": "predictive model", "mimicry": "mimicry", "random_search": "random search"}
    rows = [[names[m], *_stats(s, 5)] for m, s in p["mae"].items()]
    tests = [[names[b], f"{t['p']:.1e}", f"{t['paired_p']:.1e}", _pct(t["model_better"])]
             for b, t in p["t_test"].items()]
    lines = ["## 2. The predictive model (the paper's Fig. 4B)", "",
             f"{p['videos']} videos of {p['participants']} held-out synthetic people "
             f"(`generate({population['held_out']['participants']}, {population['held_out']['videos']}, "
             f"seed={population['held_out']['seed']})`, none of them seen in training). The model sees the 4 "
             "frames ending at the peak activation; error = landmark MAE over the 113 x 2 target landmarks "
             "(canonical units: the face is about 0.48 wide). Mimicry: the face at the peak activation. Random "
             "search: another person's target face.", "",
             *_table(["method", "MAE", "SD", "SEM", "95% CI", "median"], rows), "",
             *_table(["model against", "Welch t-test p", "paired t-test p", "videos where the model is closer"], tests),
             "", "![predictive model](figures/predictive_mae.png)", "",
             "By expression (MAE):", "",
             *_table(["expression", "videos", "model", "mimicry", "random search"],
                     [[e, s["videos"], f"{s['model']:.5f}", f"{s['mimicry']:.5f}", f"{s['random_search']:.5f}"]
                      for e, s in p["by_expression"].items()]), "",
             f"Peak activation to target face: {p['activation_to_target_s']['mean']:.3f} ± "
             f"{p['activation_to_target_s']['sd']:.3f} s.", "",
             f"{len(next(iter(p['cross_validation'].values()))['folds'])}-fold cross-validation on the held-out "
             f"people (each fold trains a fresh model for {p['cross_validation_steps']} steps on the other folds):",
             ""]
    cv_rows = [[by, *(f"{cv['mae'][m]:.5f}" for m in ("model", "mimicry", "random_search")),
                f"{cv['model_better_than_mimicry']}/{len(cv['folds'])}"] for by, cv in p["cross_validation"].items()]
    header = ["split by", "model MAE", "mimicry", "random search", "folds model < mimicry"]
    return [*lines, *_table(header, cv_rows), ""]


def activation_lines(a: dict, k: float, k_fitted: float) -> list[str]:
    keys = ["tp", "fp", "fn", "tn", "accuracy", "ppv", "for", "fpr", "sensitivity", "lr_plus", "prevalence",
            "ppv_at_paper_prevalence"]
    rows = [[name, *(a[name][k_] if isinstance(a[name][k_], int) else f"{a[name][k_]:.3f}" for k_ in keys)]
            for name in ("model", "mimicry")]
    return ["## 3. Command activation (the paper's Table 1)", "",
            f"Predicted and true target faces of the {a['videos']} held-out videos go through the normalisation "
            f"(K = {k:g}; fitted on training people: {k_fitted:.2f}) and the inverse model; a command is activated "
            "when it lies more than 0.25 from its value for the calm face. Population: "
            f"{a['model']['population']} (video, command) pairs. The mimicry row scores the face at the peak "
            "activation the same way.", "",
            *_table(["faces", "TP", "FP", "FN", "TN", "accuracy", "PPV", "FOR", "FPR", "sensitivity", "LR+",
                     "activated share", "PPV at 70% activated"], rows), "",
            "PPV depends on how many pairs are activated at all; the paper's Table 1 solves to 70% "
            "(TP 1306, FP 316, FN 338, TN 393), and its sensitivity 0.794 and FPR 0.446 give LR+ 1.78. The last "
            "column is this run's sensitivity and FPR at the paper's 70%.", "",
            "![confusion matrix](figures/confusion.png)", "",
            "Share of target faces that activate each command: " +
            ", ".join(f"{n} {v:.0%}" for n, v in a["target_activated_share"].items()) + ".", ""]


def tracker_lines(r: dict) -> list[str]:
    return ["## 4. The loop: coexpression against mimicry", "",
            f"Online peak activation (`coexpression.tracker`, 25 Hz, no camera delay) on the {r['videos']} held-out "
            f"videos: found in {r['detected']}; median {r['median_after_offline_s'] * 1000:+.0f} ms from the "
            f"offline detector's peak activation and {r['median_before_apex_s'] * 1000:.0f} ms before the apex; "
            f"before the apex in {r['before_apex']:.1%} of videos.", ""]


def timing_lines(t: dict, smiles: int) -> list[str]:
    rows = []
    for mode in ("coexpress", "mimic"):
        s, loop = t[mode], t[mode]["loop"]
        rows.append([mode, f"{s['reached']}/{s['events']}", _pct(s["before_apex"]), _pct(s["after_human"]),
                     f"{s['median_lead_s'] * 1000:+.0f} ms", f"{s['median_lag_vs_human_s'] * 1000:+.0f} ms",
                     f"{loop['work_ms_mean']:.2f} / {loop['work_ms_p99']:.2f} ms", loop["missed_deadline"]])
    return [f"The 25 Hz loop on all {smiles} held-out smiles, played back to back on the simulated face. The "
            f"person reaches the loop {t['latency_s'] * 1000:.0f} ms after they show a face (a webcam's typical "
            "delay). Progress towards an expression is the displacement from the start projected on the finished "
            "expression's (the person: landmarks from rest to the apex frame; the robot: measured actuator "
            "positions from where it rested to where it holds after the apex); a face is *there* at 80%.", "",
            "The criterion: the robot is **on time** when it is there before the person's apex, and **late** when "
            "it gets there after the person does (the paper's \"noticeable delay\" of mimicry is a delay behind "
            "the person). The issue's check: coexpression on time in most smiles, mimicry late in most.", "",
            *_table(["mode", "robot made an expression", "robot there before the person's apex",
                     "robot late (there after the person)", "median lead on the apex", "median lag on the person",
                     "tick work mean / p99", "missed deadlines"], rows), "",
            "![timing](figures/smile_timing.png)", "", "![one smile](figures/smile_example.png)", ""]


def write_markdown(report: dict, path: Path) -> None:
    checks = [[name.replace("_", " "), "yes" if ok else "**no**"] for name, ok in report["checks"].items()]
    lines = ["# Coexpression report", "",
             f"`mirrorface eval coexpression` on face {report['face']}, seed {report['seed']}"
             f"{', quick' if report['quick'] else ''}: {report['seconds']:.0f} s on {os.cpu_count()} CPUs "
             f"({platform.processor() or platform.machine()}, Python {platform.python_version()}).", "",
             *_table(["done-when check", "holds"], checks), "",
             *inverse_lines(report["inverse"]),
             *predictive_lines(report["predictive"], report["population"]),
             *activation_lines(report["activation"], report["k"], report["k_fitted"]),
             *tracker_lines(report["tracker"]),
             *timing_lines(report["timing"], report["population"]["smiles"])]
    path.write_text("\n".join(lines), encoding="utf-8")
