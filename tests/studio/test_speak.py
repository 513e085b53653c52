"""The Speak view in Chromium: audio first, then every frame in order and before the audio reaches it."""

from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest

FINISHED = "window.studioMetrics && window.studioMetrics.finished && window.studioMetrics.files"


def speak(page, text: str) -> dict:
    page.fill("#speak-text", text)
    page.click("#speak-go")
    page.wait_for_function(FINISHED, timeout=60_000)
    return page.evaluate("window.studioMetrics")


def test_the_face_speaks_in_sync_in_the_browser(page, studio):
    m = speak(page, "Hello there.")
    assert m["error"] is None
    received = m["received"]
    fps = 30.0
    assert [r["index"] for r in received] == list(range(m["frames"]))  # every frame, in order, once
    assert [r["time"] for r in received] == pytest.approx([k / fps for k in range(m["frames"])])
    assert m["frames"] == pytest.approx(m["duration_s"] * fps, abs=1.5)  # frames span the audio
    # the audio came before any frame was shown, and playback began with frames in hand
    assert m["audio_received_ms"] < m["first_frame_shown_ms"]
    assert m["first_frame_received_ms"] <= m["audio_started_ms"] <= m["first_frame_shown_ms"]
    # in time: no frame arrived after the audio clock had passed its time
    assert m["late"] == 0
    assert all(r["due_ms"] is None or r["arrived_ms"] <= r["due_ms"] for r in received)
    assert page.inner_text("#speak-clock").startswith("audio") and f"frame {m['frames']}/{m['frames']}" in \
        page.inner_text("#speak-clock")


def test_the_downloads_hold_the_performance(page, studio):
    m = speak(page, "papa")
    files = {kind: studio.url + url for kind, url in m["files"].items()}
    assert page.locator("#speak-files a").count() == 4
    with urllib.request.urlopen(files["trajectory"]) as response:
        rows = list(csv.reader(io.StringIO(response.read().decode())))
    assert rows[0][0] == "time_s" and len(rows[0]) == 11 and len(rows) - 1 == m["frames"]
    with urllib.request.urlopen(files["cues"]) as response:
        cues = json.loads(response.read())
    assert "A" in {c["value"] for c in cues["mouthCues"]}  # "papa" closes the lips
    with urllib.request.urlopen(files["video"]) as response:
        assert response.read()[4:8] == b"ftyp"  # an MP4
    with urllib.request.urlopen(files["audio"]) as response:
        assert response.read()[:4] == b"RIFF"


def test_a_corrupt_upload_is_one_message_and_the_studio_keeps_working(page):
    page.set_input_files("#speak-audio", files=[{"name": "broken.wav", "mimeType": "audio/wav",
                                                 "buffer": b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\xff" * 64}])
    page.click("#speak-go")
    page.wait_for_selector("#speak-status.error")
    message = page.inner_text("#speak-status")
    assert "WAV upload was refused" in message and "\n" not in message
    page.set_input_files("#speak-audio", files=[])
    assert speak(page, "Yes.")["error"] is None
