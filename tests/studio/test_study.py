"""The perceptual study end to end: three trials in Chromium, answers in SQLite, the analysis against scipy."""

from __future__ import annotations

import json
import math
import sqlite3
import urllib.error
import urllib.request

import numpy as np
import pytest
from scipy import stats as sp

from mirrorface.cli.main import main
from mirrorface.studio import study

SENTENCES = ["papa", "hello", "bob"]  # tiny: three trials render in seconds
CHOICES = ["A", "B", "A"]


@pytest.fixture(scope="module")
def clips(studio, babble_data):
    return study.render_clips(studio.workdir / "study" / "clips", SENTENCES, babble_data)


def test_clips_hold_every_method_per_sentence(clips, studio):
    assert [s["text"] for s in clips["sentences"]] == SENTENCES
    for sentence in clips["sentences"]:
        assert set(sentence["clips"]) == set(study.METHODS)
        for name in sentence["clips"].values():
            assert (studio.workdir / "study" / "clips" / name).read_bytes()[4:8] == b"ftyp"


def test_trial_orders_are_random_but_reproducible():
    first = study.trials("p01", 3)
    assert first == study.trials("p01", 3)
    assert sorted(t.sentence for t in first) == [0, 1, 2]
    assert all(sorted(t.shown) == sorted(study.METHODS) for t in first)
    orders = {tuple(t.shown) for p in range(20) for t in study.trials(f"p{p}", 3)}
    assert len(orders) == 6  # every arrangement of the three methods turns up


def test_a_participant_completes_the_study_and_the_analysis_matches_scipy(page, studio, clips, capsys):
    page.click("#tabs button[data-view='study']")
    page.fill("#study-participant", "p01")
    page.click("#study-start")
    for k, position in enumerate(CHOICES):
        page.wait_for_function(f"document.querySelector('#study-progress').textContent === 'trial {k + 1} of 3'")
        videos = page.locator("#study-videos video")
        assert videos.count() == 3
        for i in range(3):  # each clip is a playable video, and its address names no method
            src = videos.nth(i).get_attribute("src")
            assert not any(m in src for m in study.METHODS)
            assert videos.nth(i).evaluate("v => new Promise(ok => v.readyState >= 1 ? ok(v.duration) : "
                                          "v.addEventListener('loadedmetadata', () => ok(v.duration)))") > 0.2
        page.click(f"#study-videos button[data-position='{position}']")
    page.wait_for_function("document.querySelector('#study-status').textContent.startsWith('Thank you')")

    db = studio.workdir / "study" / "study.db"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT participant, trial, sentence, chosen, position FROM answers "
                           "ORDER BY trial").fetchall()
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    trials = study.trials("p01", 3)
    expected = [("p01", t.index, SENTENCES[t.sentence], t.shown["ABC".index(c)], c)
                for t, c in zip(trials, CHOICES, strict=True)]
    assert rows == expected  # one row per answer, the method behind the chosen position

    body = json.dumps({"participant": "p01", "trial": 0, "position": "B"}).encode()
    req = urllib.request.Request(studio.url + "/api/study/answer", body, {"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as again:
        urllib.request.urlopen(req)
    assert again.value.code == 409  # answered once, counted once

    page.click("#tabs button[data-view='analysis']")
    page.wait_for_function("window.studyAnalysis !== undefined")
    shown = page.evaluate("window.studyAnalysis")
    counts = np.array([sum(r[3] == m for r in rows) for m in study.METHODS])
    chi2, p = sp.chisquare(counts, f_exp=[len(rows) / 3] * 3)
    assert shown["counts"] == dict(zip(study.METHODS, counts.tolist(), strict=True))
    assert shown["chi_square"]["statistic"] == pytest.approx(chi2)
    assert shown["chi_square"]["p"] == pytest.approx(p)
    assert shown["chi_square"]["cohens_w"] == pytest.approx(math.sqrt(chi2 / 3))
    assert shown["chi_square"]["cramers_v"] == pytest.approx(math.sqrt(chi2 / (3 * 2)))
    a, b = counts[0], counts[1]
    pair = shown["pairs"]["ours vs nearest_landmarks"]
    assert pair["p"] == pytest.approx(sp.binomtest(int(a), int(a + b), 0.5).pvalue)
    assert pair["cohens_h"] == pytest.approx(2 * math.asin(math.sqrt(a / 3)) - 2 * math.asin(math.sqrt(b / 3)))
    assert shown["against_chance"]["ours"]["p"] == pytest.approx(sp.binomtest(int(a), 3, 1 / 3).pvalue)
    assert page.locator("#analysis-plot").evaluate("img => new Promise(ok => img.complete && img.naturalWidth ? "
                                                   "ok(img.naturalWidth) : img.addEventListener('load', "
                                                   "() => ok(img.naturalWidth)))") > 100

    out = studio.workdir / "answers.csv"
    assert main(["studio", "analyze", str(db), "--json", "--csv", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["chi_square"] == pytest.approx(shown["chi_square"])
    assert len(out.read_text().strip().splitlines()) == 1 + len(rows)


def test_analyze_refuses_a_file_that_is_not_a_study(tmp_path, capsys):
    bogus = tmp_path / "x.db"
    bogus.write_text("not sqlite")
    assert main(["studio", "analyze", str(bogus)]) == 1
    assert capsys.readouterr().err.startswith("error:")
