"""`mirrorface eval coexpression --quick` end to end: every section, figure and check is written."""

import json

from mirrorface.coexpression import session
from mirrorface.coexpression.report import build_report


def test_a_quick_report_has_every_section_figure_and_check(emo26, tmp_path):
    seen = []
    report = build_report(tmp_path / "report", emo26, session.load_parts(emo26), tmp_path / "data", 1.5,
                          quick=True, progress=seen.append)
    assert {"inverse", "sources", "checks"} <= set(report)
    assert set(report["sources"]) == {"synthetic", "independent"}
    assert len(seen) >= 5
    saved = json.loads((tmp_path / "report" / "report.json").read_text())
    for source in saved["sources"].values():  # quick: 4 people x 7 videos, 11 commands each
        assert {"predictive", "activation", "tracker", "false_activations", "timing"} <= set(source)
        assert source["activation"]["model"]["population"] == 28 * 11
        timing = source["timing"]
        for mode in ("coexpress", "mimic"):  # against the noise-free apex face, the camera's apex frame; unsmoothed
            for figures in (timing[mode], timing[mode]["single_frame_reference"], timing[mode]["unsmoothed"]):
                assert {"within_20_at_apex", "at_80_before_apex", "both"} <= set(figures)
        assert {"frame_before_within_20", "clean_frame_before_within_20"} <= set(timing)
    assert "cross_validation" in saved["sources"]["synthetic"]["predictive"]
    assert {"linear least squares", "neutral commands", "10 nearest neighbours"} <= set(
        saved["inverse"]["held-out joins"]["methods"])
    assert set(saved["checks"]) >= {"predictive_beats_mimicry", "accuracy_at_least_72", "ppv_at_least_80"}
    assert sum(name.startswith("independent") for name in saved["checks"]) == 3
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "side by side" in markdown
    figures = ["inverse_l1", *(f"{f}_{s}" for f in ("predictive_mae", "confusion", "smile_timing", "smile_example")
                               for s in ("synthetic", "independent"))]
    for figure in figures:
        assert (tmp_path / "report" / "figures" / f"{figure}.png").stat().st_size > 5000
        assert f"figures/{figure}.png" in markdown
