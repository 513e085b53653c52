"""The study's statistics on counts worked out by hand."""

from __future__ import annotations

import math

import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.studio.stats import analyze, report_text, to_csv

METHODS = ("ours", "nearest_landmarks", "amplitude")


def answers(counts: dict[str, int]) -> list[dict]:
    rows = [{"participant": f"p{i % 5}", "chosen": m} for m, n in counts.items() for i in range(n)]
    return [{"id": k, **r} for k, r in enumerate(rows)]


def test_figures_by_hand():
    result = analyze(answers({"ours": 30, "nearest_landmarks": 9, "amplitude": 9}), METHODS)
    # expected 16 each: chi2 = (14^2 + 7^2 + 7^2) / 16 = 294 / 16
    assert result["chi_square"]["statistic"] == pytest.approx(18.375)
    assert result["chi_square"]["df"] == 2
    assert result["chi_square"]["p"] == pytest.approx(math.exp(-18.375 / 2))  # chi2 with 2 df: p = e^(-x/2)
    assert result["chi_square"]["cohens_w"] == pytest.approx(math.sqrt(18.375 / 48))
    assert result["chi_square"]["cramers_v"] == pytest.approx(math.sqrt(18.375 / 96))
    assert result["shares"]["ours"] == pytest.approx(0.625)  # the paper's headline share
    pair = result["pairs"]["nearest_landmarks vs amplitude"]
    assert (pair["first"], pair["second"], pair["p"], pair["cohens_h"]) == (9, 9, pytest.approx(1.0), 0.0)
    assert result["against_chance"]["ours"]["cohens_h"] == pytest.approx(
        2 * math.asin(math.sqrt(0.625)) - 2 * math.asin(math.sqrt(1 / 3)))
    assert result["participants"] == 5
    assert "Cramér's V = 0.44" in report_text(result)


def test_no_answers_is_an_error_and_csv_has_every_column():
    with pytest.raises(MirrorfaceError, match="no answers"):
        analyze([], METHODS)
    rows = answers({"ours": 1, "amplitude": 1})
    assert to_csv(rows).splitlines() == ["id,participant,chosen", "0,p0,ours", "1,p0,amplitude"]
