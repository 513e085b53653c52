"""`mirrorface eval coexpression --quick` end to end: every section, figure and check is written."""

import json

from mirrorface.coexpression import session
from mirrorface.coexpression.report import build_report


def test_a_quick_report_has_every_section_figure_and_check(emo26, tmp_path):
    seen = []
    report = build_report(tmp_path / "report", emo26, session.load_parts(emo26), tmp_path / "data", 1.5,
                          quick=True, progress=seen.append)
    assert {"inverse", "predictive", "activation", "tracker", "timing", "checks"} <= set(report)
    assert len(seen) >= 5
    saved = json.loads((tmp_path / "report" / "report.json").read_text())
    assert saved["activation"]["model"]["population"] == 28 * 11  # quick: 4 people x 7 videos, 11 commands each
    assert set(saved["checks"]) >= {"predictive_beats_mimicry", "accuracy_at_least_72", "ppv_at_least_80"}
    markdown = (tmp_path / "report" / "report.md").read_text()
    for figure in ("inverse_l1", "predictive_mae", "confusion", "smile_timing", "smile_example"):
        assert (tmp_path / "report" / "figures" / f"{figure}.png").stat().st_size > 5000
        assert f"figures/{figure}.png" in markdown
