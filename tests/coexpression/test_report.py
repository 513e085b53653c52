"""`mirrorface eval coexpression --quick` end to end: every section, figure and check is written."""

import json
from dataclasses import replace

from mirrorface.coexpression import session
from mirrorface.coexpression.normalize import DEFAULT_K
from mirrorface.coexpression.peak import EXPRESSIVE
from mirrorface.coexpression.report import build_report, timing_section
from mirrorface.coexpression.synthetic import generate


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


def test_smile_timing_measures_against_the_noise_free_apex_face(emo26, tmp_path):
    """A camera glitch at the apex frame moves the old reference (the camera's apex frame) and not the new one
    (the noise-free face): the face a frame before, the same as the apex in the noise-free track, is within 20% of
    the new apex commands and not of the glitched ones."""
    smile = next(v for v in generate(1, 7, seed=0) if v.expression == "smile")
    face = smile.clean.copy()
    face[smile.apex_frame - 1] = face[smile.apex_frame]  # the person holds still for the last frame
    seen = face.copy()
    seen[smile.apex_frame, EXPRESSIVE] += 0.02  # the camera misreads the apex frame's brows and mouth
    timing = timing_section(emo26, session.load_parts(emo26), [replace(smile, landmarks=seen, clean=face)],
                            DEFAULT_K, 0, tmp_path, "_test")
    assert timing["frame_before_within_20"] == 1.0
    assert timing["single_frame_reference"]["frame_before_within_20"] == 0.0
    assert timing["clean_frame_before_within_20"] == 1.0
