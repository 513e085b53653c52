"""PNG figures for the lip-sync report (matplotlib's Agg renderer: no display, no global state).

Every writer takes plain arrays, writes one PNG and returns its path; `Figure` objects are made
directly (not through pyplot), so nothing leaks between calls or threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from matplotlib.figure import Figure

from mirrorface.images import grid, save_image

DPI = 120


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def language_bars(labels: Sequence[str], means: Sequence[float], sds: Sequence[float], ns: Sequence[int],
                  path: str | Path, band: tuple[float, float] | None = None, ylabel: str = "latent MSE",
                  title: str = "") -> Path:
    """The paper's Fig. 5: one bar per language (mean, SD error bar), n frames under each label.

    With `band` = (mean, sd) of English1, its mean +/- SD is shaded across the plot and bars
    whose mean falls outside it are drawn in a warning colour: the paper's claim is that none do.
    """
    fig = Figure(figsize=(max(6.0, 0.7 * len(labels) + 2), 4.0))
    ax = fig.add_subplot()
    x = np.arange(len(labels))
    colors = ["tab:blue"] * len(labels)
    if band is not None:
        mid, sd = band
        ax.axhspan(mid - sd, mid + sd, color="tab:gray", alpha=0.2, label="English1 mean ± SD")
        ax.axhline(mid, color="tab:gray", lw=1)
        colors = ["tab:blue" if abs(m - mid) <= sd else "tab:red" for m in means]
        ax.legend(loc="upper right", fontsize=8)
    ax.bar(x, means, yerr=sds, color=colors, capsize=3)
    ax.set_xticks(x, [f"{lab}\nn={n}" for lab, n in zip(labels, ns, strict=True)], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    return _save(fig, path)


def error_curves(per_method: dict[str, np.ndarray], fps: float, path: str | Path, title: str = "",
                 ylabel: str = "latent MSE") -> Path:
    """Per-frame error of each method over time (s), one line per method."""
    fig = Figure(figsize=(8.0, 3.5))
    ax = fig.add_subplot()
    for name, errors in per_method.items():
        ax.plot(np.arange(len(errors)) / fps, errors, lw=1.2, label=name)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, ncol=2)
    return _save(fig, path)


def trajectories(per_method: dict[str, np.ndarray], names: Sequence[str], fps: float, path: str | Path,
                 title: str = "") -> Path:
    """Command trajectories: one panel per actuator (`names` label the columns), one line per method."""
    cols = 2 if len(names) > 4 else 1
    rows = -(-len(names) // cols)
    fig = Figure(figsize=(6.0 * cols, 1.6 * rows + 0.8))
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
    for i, (ax, name) in enumerate(zip(axes, names, strict=False)):
        for method, commands in per_method.items():
            ax.plot(np.arange(len(commands)) / fps, commands[:, i], lw=1.0, label=method)
        ax.set_ylabel(name, fontsize=8)
        ax.set_ylim(-0.05, 1.05)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    for ax in axes[max(0, len(names) - cols) : len(names)]:
        ax.set_xlabel("time (s)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper right", fontsize=8, ncol=min(len(per_method), 6))
    fig.suptitle(title, x=0.02, ha="left")
    return _save(fig, path)


def _label(image: np.ndarray, text: str) -> np.ndarray:
    out = np.ascontiguousarray(image.copy())
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def contact_sheet(target: Sequence[np.ndarray], robot: Sequence[np.ndarray], fps: float, path: str | Path,
                  columns: int = 8) -> Path:
    """Target against robot for one word: `columns` evenly spaced frames, targets above, the
    robot's frames at the same instants below, each tile labelled with its time in ms.

    Args:
        target, robot: equally sized RGB uint8 frames (the shorter sequence sets the length).
    """
    n = min(len(target), len(robot))
    picks = np.unique(np.linspace(0, n - 1, min(columns, n)).round().astype(int))
    tops = [_label(target[k], f"target {k * 1000 / fps:.0f} ms") for k in picks]
    bottoms = [_label(robot[k], f"robot {k * 1000 / fps:.0f} ms") for k in picks]
    return save_image(path, grid(tops + bottoms, len(picks)))
