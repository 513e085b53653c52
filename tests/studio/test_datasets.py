"""The Data and models view in Chromium: a babbling run with its progress, then browsing what it recorded."""

from __future__ import annotations

from mirrorface.data.dataset import Dataset


def image_width(page, selector: str) -> int:
    return page.locator(selector).evaluate("img => new Promise(ok => img.complete && img.naturalWidth ? "
                                           "ok(img.naturalWidth) : "
                                           "img.addEventListener('load', () => ok(img.naturalWidth)))")


def test_babble_from_the_page_then_browse_the_dataset(page, studio):
    page.click("#tabs button[data-view='data']")
    page.wait_for_selector("#models table")
    page.fill("#babble-frames", "60")
    page.fill("#babble-name", "from-the-page")
    page.click("#babble-form button")
    page.wait_for_function("window.babbleProgress && !window.babbleProgress.running", timeout=60_000)
    progress = page.evaluate("window.babbleProgress")
    assert progress["error"] is None and progress["frames"] == progress["total"] == 60
    assert len(Dataset(studio.workdir / "data" / "from-the-page")) == 60  # the real dataset, on disk
    assert page.evaluate("document.getElementById('babble-progress').value") == 60

    page.wait_for_function("document.getElementById('data-list').options.length > 0")
    assert "from-the-page: 60 frames" in page.inner_text("#data-list")
    assert image_width(page, "#data-sheet") > 256  # a contact sheet of several frames
    page.locator("#data-scrub").fill("42")
    page.wait_for_function("document.getElementById('data-frame').src.endsWith('index=42')")
    assert image_width(page, "#data-frame") == 256
    drawn = page.evaluate("""() => { const d = document.getElementById('data-plot').getContext('2d')
        .getImageData(0, 0, 520, 220).data; let lit = 0; for (let i = 0; i < d.length; i += 4) lit += d[i] > 80;
        return lit; }""")
    assert drawn > 500  # command lines on the plot


def test_the_checkpoints_say_which_are_loaded(page):
    page.click("#tabs button[data-view='data']")
    page.wait_for_selector("#models table")
    rows = {r.split("\t")[0]: r for r in page.inner_text("#models table").splitlines()[1:]}
    assert {"lips10/vae", "lips10/fat", "inverse", "predictive"} <= set(rows)
    assert "yes" in rows["lips10/vae"] and "step 500" in rows["lips10/vae"]
