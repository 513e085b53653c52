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
             "command (normalized to [0, 1]). Baselines: the neutral commands (the robot's resting face), a linear "
             "least-squares map from landmarks to commands (fitted on 20,000 training joins), the mean of the 10 "
             "nearest neighbours and the nearest neighbour (the commands of the nearest training halves), a random "
             "face (the commands of a random training join), random commands (uniform). Dense poses: more than half "
             "the commands moved from neutral (by more than 0.05); sparse: the others. "
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


SOURCES = {"synthetic": "synthetic people (the training generator, other people)",
           "independent": "independent people (another generator, never trained on)"}


def predictive_lines(p: dict, population: dict, name: str) -> list[str]:
    names = {"model": "predictive model", "mimicry": "mimicry", "random_search": "random search"}
    rows = [[names[m], *_stats(s, 5)] for m, s in p["mae"].items()]
    tests = [[names[b], f"{t['p']:.1e}", f"{t['paired_p']:.1e}", _pct(t["model_better"])]
             for b, t in p["t_test"].items()]
    groups = [[g, s["videos"], f"{s['model']:.5f}", f"{s['mimicry']:.5f}", _pct(s["model_better"]),
               *(f"{s.get(k, float('nan')):.1e}" for k in ("paired_p", "sign_test_p"))]
              for g, s in [*p["by_intensity"].items(), *p["by_expression"].items()]]
    lines = [f"### 2. The predictive model (the paper's Fig. 4B): {SOURCES[name]}", "",
             f"{p['videos']} videos of {p['participants']} held-out people (`{population['source']}.generate("
             f"{population['participants']}, {population['videos']}, seed={population['seed']})`, none of them seen "
             "in training). The model sees the 4 frames ending at the peak activation; error = landmark MAE over the "
             "113 x 2 target landmarks (canonical units: the face is about 0.48 wide). Mimicry: the face at the peak "
             "activation. Random search: another person's target face.", "",
             *_table(["method", "MAE", "SD", "SEM", "95% CI", "median"], rows), "",
             *_table(["model against", "Welch t-test p", "paired t-test p", "videos where the model is closer"], tests),
             "", f"![predictive model](figures/predictive_mae_{name}.png)", "",
             "By intensity and by expression (MAE; the model's wins over mimicry; paired t-test and sign test):", "",
             *_table(["videos", "n", "model", "mimicry", "model closer", "paired t p", "sign test p"], groups), "",
             f"Peak activation to target face: {p['activation_to_target_s']['mean']:.3f} ± "
             f"{p['activation_to_target_s']['sd']:.3f} s.", ""]
    if "cross_validation" not in p:
        return lines
    lines += [f"{len(next(iter(p['cross_validation'].values()))['folds'])}-fold cross-validation on the held-out "
              f"people (each fold trains a fresh model for {p['cross_validation_steps']} steps on the other folds):",
              ""]
    cv_rows = [[by, *(f"{cv['mae'][m]:.5f}" for m in ("model", "mimicry", "random_search")),
                f"{cv['model_better_than_mimicry']}/{len(cv['folds'])}"] for by, cv in p["cross_validation"].items()]
    header = ["split by", "model MAE", "mimicry", "random search", "folds model < mimicry"]
    return [*lines, *_table(header, cv_rows), ""]


def activation_lines(a: dict, k: float, k_fitted: float, name: str) -> list[str]:
    keys = ["tp", "fp", "fn", "tn", "accuracy", "ppv", "for", "fpr", "sensitivity", "lr_plus", "prevalence",
            "ppv_at_paper_prevalence"]
    rows = [[who, *(a[who][k_] if isinstance(a[who][k_], int) else f"{a[who][k_]:.3f}" for k_ in keys)]
            for who in ("model", "mimicry")]
    return [f"### 3. Command activation (the paper's Table 1): {SOURCES[name]}", "",
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
            f"![confusion matrix](figures/confusion_{name}.png)", "",
            "Share of target faces that activate each command: " +
            ", ".join(f"{n} {v:.0%}" for n, v in a["target_activated_share"].items()) + ".", ""]


def tracker_lines(r: dict, calm: dict, name: str) -> list[str]:
    return [f"### 4. The loop, coexpression against mimicry: {SOURCES[name]}", "",
            "Online peak activation (`coexpression.tracker`, fed every camera frame, no camera delay) on the "
            f"{r['videos']} held-out videos: found in {r['detected']}; median "
            f"{r['median_after_offline_s'] * 1000:+.0f} ms from the offline detector's peak activation and "
            f"{r['median_before_apex_s'] * 1000:.0f} ms before the apex; "
            f"before the apex in {r['before_apex']:.1%} of videos. On {calm['clips']} calm faces "
            f"({calm['minutes']:.0f} minutes of blinks, head motion and jitter, no expression) it declared "
            f"{calm['activations']} activations: **{calm['per_minute']:.2f} a minute**.", ""]


def timing_lines(t: dict, smiles: int, name: str) -> list[str]:
    rows = []
    for mode in ("coexpress", "mimic"):
        s, loop = t[mode], t[mode]["loop"]
        rows.append([mode, f"{s['reached']}/{s['events']}", _pct(s["before_apex"]), _pct(s["after_human"]),
                     f"{s['median_lead_s'] * 1000:+.0f} ms", f"{s['median_lag_vs_human_s'] * 1000:+.0f} ms",
                     f"{loop['work_ms_mean']:.2f} / {loop['work_ms_p99']:.2f} ms", loop["missed_deadline"]])
    person = []
    for mode in ("coexpress", "mimic"):
        for label, s in ((mode, t[mode]), (f"{mode}, unsmoothed", t[mode]["unsmoothed"])):
            for reference, r in (("noise-free apex face", s), ("camera's apex frame", s["single_frame_reference"])):
                person.append([label, reference, r["person_scored"], _pct(r["within_20_at_apex"]),
                               _pct(r["at_80_before_apex"]), _pct(r["both"]), f"{r['median_apex_error']:.2f}",
                               f"{s['median_hold_jitter']:.2f}" if r is s else ""])
    return [f"The {t['rate_hz']:g} Hz loop on all {smiles} held-out smiles, played back to back on the simulated "
            f"face. The person reaches the loop {t['latency_s'] * 1000:.0f} ms after they show a face (a webcam's "
            "typical delay). Progress towards an expression is the displacement from the start projected on the "
            "finished expression's (the person: landmarks from rest to the apex frame; the robot: measured actuator "
            "positions from where it rested to where it holds after the apex); a face is *there* at 80%.", "",
            "Against the robot's own held pose (the paper's view: is the robot on time with whatever it makes?). "
            "The robot is **on time** when it is there before the person's apex, and **late** when it gets there "
            "after the person does:", "",
            *_table(["mode", "robot made an expression", "robot there before the person's apex",
                     "robot late (there after the person)", "median lead on the apex", "median lag on the person",
                     "tick work mean / p99", "missed deadlines"], rows), "",
            "Against the face the person actually made (issue 17): the apex commands are the inverse model's "
            "commands for the person's noise-free apex face (the generator's, before the tracker's jitter) from "
            "their noise-free resting face, brought onto the robot; at the person's apex the robot should be "
            "within 20% of them (L1 error / L1 size of the expression) and have reached 80% of the way to them "
            "before it. Smiles whose apex commands move the robot by less than 0.1 (L1) are not scored. Beside "
            "each mode, the same against the reference used before (the commands for the camera's apex frame, "
            "jitter and all), and the loop without its smoother (the faces it shows of the person as the camera "
            "gives them). Hold jitter: the median over smiles of the L1 distance the sent commands travel a "
            "second while the person holds the apex (the half second after it):", "",
            *_table(["mode", "reference", "smiles scored", "within 20% at the apex", "at 80% before the apex",
                     "both", "median error at the apex", "hold jitter"], person), "",
            "Ceilings for the first criterion: the person's face one frame before the apex, with no delay and no "
            f"servos, as the camera saw it, is within 20% of the apex commands in {_pct(t['frame_before_within_20'])}"
            f" of these smiles ({_pct(t['single_frame_reference']['frame_before_within_20'])} of the camera's apex "
            "frame's); the noise-free face a frame before, in "
            f"{_pct(t['clean_frame_before_within_20'])} (the face itself changes that much in 33 ms: the end of the "
            "rise, blinks, the synthetic people's talking mouths).", "",
            f"![timing](figures/smile_timing_{name}.png)", "", f"![one smile](figures/smile_example_{name}.png)", ""]


def _both(figures: dict, keys: tuple[str, ...], fmt=_pct) -> str:
    return " / ".join(fmt(figures.get(k, float("nan"))) for k in keys)


def side_by_side(sources: dict) -> list[str]:
    """The key figures of both sources of people in one table."""
    def p(s):
        return s["predictive"]

    def intensity(s, key):
        return [p(s)["by_intensity"][g].get(key, float("nan")) for g in ("all", "half (0.4-0.6)")]

    timing = ("within_20_at_apex", "at_80_before_apex", "both")
    figures = {
        "predictive MAE: model / mimicry": lambda s: _both(
            {k: v["mean"] for k, v in p(s)["mae"].items()}, ("model", "mimicry"), "{:.5f}".format),
        "model closer than mimicry: all / half-intensity": lambda s: " / ".join(
            map(_pct, intensity(s, "model_better"))),
        "sign test p: all / half-intensity": lambda s: " / ".join(f"{x:.1e}" for x in intensity(s, "sign_test_p")),
        "command activation: accuracy / PPV (model)": lambda s: _both(s["activation"]["model"], ("accuracy", "ppv")),
        "online peak activation: found / before the apex": lambda s: (
            f"{s['tracker']['detected']}/{s['tracker']['videos']} / {_pct(s['tracker']['before_apex'])}"),
        "false activations a minute, calm faces": lambda s: f"{s['false_activations']['per_minute']:.2f}",
        "smiles, coexpress: there before the apex (own pose)": lambda s: _pct(s["timing"]["coexpress"]["before_apex"]),
        "smiles, coexpress: within 20% at the apex / at 80% before it / both": lambda s: _both(
            s["timing"]["coexpress"], timing),
        "smiles, mimic: within 20% at the apex / at 80% before it / both": lambda s: _both(
            s["timing"]["mimic"], timing),
        "smiles, against the camera's apex frame (the old reference), coexpress / mimic: both": lambda s: " / ".join(
            _pct(s["timing"][mode]["single_frame_reference"]["both"]) for mode in ("coexpress", "mimic")),
        "smiles, the loop without its smoother, coexpress / mimic: both": lambda s: " / ".join(
            _pct(s["timing"][mode]["unsmoothed"]["both"]) for mode in ("coexpress", "mimic")),
        "smiles, hold jitter (L1 a second), coexpress / mimic, smoothed (unsmoothed)": lambda s: " / ".join(
            f"{s['timing'][m]['median_hold_jitter']:.2f} ({s['timing'][m]['unsmoothed']['median_hold_jitter']:.2f})"
            for m in ("coexpress", "mimic")),
        "smiles, the person's own face a frame before the apex: within 20% (a ceiling)": lambda s: _pct(
            s["timing"]["frame_before_within_20"]),
    }
    rows = [[label, *(get(s) for s in sources.values())] for label, get in figures.items()]
    return ["## Both sources of people side by side", "", *_table(["figure", *(SOURCES[n] for n in sources)], rows), ""]


def write_markdown(report: dict, path: Path) -> None:
    checks = [[name.replace("_", " "), "yes" if ok else "**no**"] for name, ok in report["checks"].items()]
    lines = ["# Coexpression report", "",
             f"`mirrorface eval coexpression` on face {report['face']}, seed {report['seed']}"
             f"{', quick' if report['quick'] else ''}: {report['seconds']:.0f} s on {os.cpu_count()} CPUs "
             f"({platform.processor() or platform.machine()}, Python {platform.python_version()}).", "",
             *_table(["done-when check", "holds"], checks), "",
             *side_by_side(report["sources"]),
             *inverse_lines(report["inverse"])]
    for name, s in report["sources"].items():
        lines += [f"## {SOURCES[name].capitalize()}", "",
                  *predictive_lines(s["predictive"], s["population"], name),
                  *activation_lines(s["activation"], report["k"], report["k_fitted"], name),
                  *tracker_lines(s["tracker"], s["false_activations"], name),
                  *timing_lines(s["timing"], s["population"]["smiles"], name)]
    path.write_text("\n".join(lines), encoding="utf-8")
