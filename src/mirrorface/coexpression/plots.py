"""PNG figures for the coexpression report (matplotlib's Agg renderer through `Figure`: no global state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

DPI = 120


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def box_plot(panels: dict[str, dict[str, np.ndarray]], path: Path, ylabel: str) -> Path:
    """One panel per test set, one box per method (the paper's Fig. 4A and 4B)."""
    fig = Figure(figsize=(4.2 * len(panels), 4.0))
    for i, (title, errors) in enumerate(panels.items(), start=1):
        ax = fig.add_subplot(1, len(panels), i)
        ax.boxplot(list(errors.values()), showfliers=False)
        ax.set_xticks(range(1, len(errors) + 1), [m.replace(" ", "\n") for m in errors], fontsize=8)
        ax.set_title(f"{title} (n={len(next(iter(errors.values())))})", fontsize=9)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
    return _save(fig, path)


def confusion_matrix(result: dict, path: Path) -> Path:
    """The 2 x 2 command-activation counts with the paper's rates underneath (Table 1)."""
    fig = Figure(figsize=(4.2, 4.2))
    ax = fig.add_subplot()
    counts = np.array([[result["tp"], result["fn"]], [result["fp"], result["tn"]]])
    ax.imshow(counts, cmap="Blues")
    for (r, c), n in np.ndenumerate(counts):
        ax.text(c, r, f"{['TP', 'FN', 'FP', 'TN'][2 * r + c]}\n{n}", ha="center", va="center",
                color="white" if n > counts.max() / 2 else "black")
    ax.set_xticks([0, 1], ["predicted\nactivated", "predicted\ncalm"])
    ax.set_yticks([0, 1], ["target\nactivated", "target\ncalm"])
    ax.set_title(f"accuracy {result['accuracy']:.1%}, PPV {result['ppv']:.1%}\nFOR {result['for']:.3f}, "
                 f"FPR {result['fpr']:.3f}, sensitivity {result['sensitivity']:.3f}, LR+ {result['lr_plus']:.2f}",
                 fontsize=8)
    return _save(fig, path)


def event_curves(times: dict[str, np.ndarray], curves: dict[str, np.ndarray], apex: float, path: Path,
                 title: str) -> Path:
    """Progress towards the expression (0 rest, 1 expression) of the person and each robot mode over time."""
    fig = Figure(figsize=(7.0, 3.4))
    ax = fig.add_subplot()
    for name, curve in curves.items():
        ax.plot(times[name], curve, lw=1.5, label=name)
    ax.axvline(apex, color="k", ls="--", lw=1, label="person's apex")
    ax.axhline(0.8, color="gray", ls=":", lw=1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("progress towards the expression")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def lead_histogram(leads: dict[str, np.ndarray], path: Path) -> Path:
    """When each robot mode reached 80% of its expression, relative to the person's apex (s, < 0: before)."""
    fig = Figure(figsize=(6.0, 3.4))
    ax = fig.add_subplot()
    finite = [v[np.isfinite(v)] for v in leads.values()]
    low, high = min(min(v.min(), 0) for v in finite), max(max(v.max(), 0) for v in finite)
    bins = np.linspace(low - 0.05, high + 0.05, 30)
    for (name, _), values in zip(leads.items(), finite, strict=True):
        ax.hist(values, bins=bins, alpha=0.6, label=f"{name} (median {np.median(values):+.2f} s)")
    ax.axvline(0, color="k", ls="--", lw=1)
    ax.set_xlabel("robot at 80% minus the person's apex (s)")
    ax.set_ylabel("smile events")
    ax.legend(fontsize=8)
    return _save(fig, path)
