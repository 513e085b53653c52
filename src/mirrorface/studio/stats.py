"""The perceptual study's statistics, as the lip-sync paper reports them (Materials and Methods).

From the counts of how often each of the k = 3 methods was chosen (N answers):
- chi-square goodness of fit against chance (p0 = 1/3 each), with Cohen's w = sqrt(chi2 / N)
  and Cramér's V = sqrt(chi2 / (N (k - 1))) as effect sizes;
- each method against chance: a two-sided binomial test of its count against N and 1/3, with
  Cohen's h = 2 asin sqrt(p) - 2 asin sqrt(1/3);
- each pair of methods: a two-sided binomial test of how often the first was chosen among the
  answers that chose either (p0 = 1/2), with Cohen's h between the two methods' shares of all
  answers.
P values are uncorrected, as in the paper.
"""

from __future__ import annotations

import csv
import io
import math
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy import stats

from mirrorface.errors import MirrorfaceError


def cohens_h(p1: float, p2: float) -> float:
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def analyze(answers: list[dict], methods: tuple[str, ...]) -> dict:
    """The study's figures from its stored answers."""
    if not answers:
        raise MirrorfaceError("no answers yet")
    counts = np.array([sum(a["chosen"] == m for a in answers) for m in methods])
    n, k = int(counts.sum()), len(methods)
    chi2, p = stats.chisquare(counts)
    chance = 1 / k
    share = counts / n
    return {
        "answers": n,
        "participants": len({a["participant"] for a in answers}),
        "counts": dict(zip(methods, counts.tolist(), strict=True)),
        "shares": dict(zip(methods, share.tolist(), strict=True)),
        "chi_square": {"statistic": float(chi2), "df": k - 1, "p": float(p),
                       "cohens_w": math.sqrt(chi2 / n), "cramers_v": math.sqrt(chi2 / (n * (k - 1)))},
        "against_chance": {m: {"p": float(stats.binomtest(int(c), n, chance).pvalue), "cohens_h": cohens_h(s, chance)}
                           for m, c, s in zip(methods, counts, share, strict=True)},
        "pairs": {f"{a} vs {b}": _pair(counts[i], counts[j], share[i], share[j])
                  for (i, a), (j, b) in combinations(enumerate(methods), 2)},
    }


def _pair(first: int, second: int, share_first: float, share_second: float) -> dict:
    both = int(first + second)
    p = float(stats.binomtest(int(first), both, 0.5).pvalue) if both else float("nan")
    return {"first": int(first), "second": int(second), "p": p, "cohens_h": cohens_h(share_first, share_second)}


def report_text(result: dict) -> str:
    """The figures as a few lines, for the terminal and the page."""
    c = result["chi_square"]
    lines = [f"{result['answers']} answers from {result['participants']} participants",
             *(f"  {m:<18} chosen {result['counts'][m]:>4} ({result['shares'][m]:.1%}); against chance p = "
               f"{result['against_chance'][m]['p']:.3g}, h = {result['against_chance'][m]['cohens_h']:+.2f}"
               for m in result["counts"]),
             f"chi-square goodness of fit: chi2({c['df']}) = {c['statistic']:.2f}, p = {c['p']:.3g}, "
             f"Cohen's w = {c['cohens_w']:.2f}, Cramér's V = {c['cramers_v']:.2f}"]
    lines += [f"  {pair}: {r['first']} to {r['second']}, binomial p = {r['p']:.3g}, Cohen's h = {r['cohens_h']:+.2f}"
              for pair, r in result["pairs"].items()]
    return "\n".join(lines)


def plot(result: dict, path: Path) -> Path:
    """A bar chart of how often each method was chosen, with the chance level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(result["shares"])
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    colours = ["#3d8bfd", "#adb5bd", "#ced4da"][: len(methods)]
    ax.bar(methods, [100 * result["shares"][m] for m in methods], color=colours)
    ax.axhline(100 / len(methods), color="#d62728", linestyle="--", label="chance")
    ax.set_ylim(0, min(100, 100 * max(result["shares"].values()) + 15))  # room for the counts and the legend
    for x, m in enumerate(methods):
        ax.text(x, 100 * result["shares"][m] + 1, str(result["counts"][m]), ha="center")
    c = result["chi_square"]
    ax.set_ylabel("chosen as most natural (%)")
    ax.set_title(f"N = {result['answers']}, chi2({c['df']}) = {c['statistic']:.1f}, p = {c['p']:.2g}", fontsize=10)
    ax.legend(loc="upper right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def to_csv(answers: list[dict]) -> str:
    """One row per answer, every stored column."""
    if not answers:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(answers[0]))
    writer.writeheader()
    writer.writerows(answers)
    return out.getvalue()
