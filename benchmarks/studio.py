"""The studio in a real browser: Speak latency and the webcam loop's round-trip rate, against the CLI.

Run: `.venv/bin/python benchmarks/studio.py [--repeats 5] [--seconds 8] [--screenshots docs/studio]`

Measured in headless Debian chromium (Playwright drives /usr/bin/chromium) against a
`mirrorface studio` process on 127.0.0.1, both on this machine:
- Speak: from pressing Speak to the audio arriving, to the audio starting to play, and to the
  first face frame drawn, warm (after one sentence), median and worst of --repeats; the
  baseline is the CLI path, `mirrorface say` run as a user runs it, until its MP4 exists.
- Coexpress: Chromium's fake camera plays a rendered face (rest, smile, rest, looped); the page
  sends a frame, waits for the tick's answer, and sends the next (at most 25 a second); the rate
  is answered frames per second. The baseline is `mirrorface coexpress --source` on the same
  clip as an MP4: the loop's own work per tick, with no browser, network or JPEGs.
With --screenshots, a picture of each view goes to that folder (docs/studio.md shows them).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from mirrorface.face.sim.painter import Painter  # noqa: E402
from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.media import write_mp4  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
SENTENCE = "Hello there, how are you today?"
STUDY = ["papa", "hello", "bob"]
MIRRORFACE = [sys.executable, "-m", "mirrorface"]


def smiling_face(fps: int = 25) -> list[np.ndarray]:
    """The simulated emo26 face at rest, smiling with an open jaw, relaxing: 2.4 s."""
    spec = load_spec("emo26")
    face = Painter(spec, seed=0)
    moving = [spec.index_of(name) for name in ("corner_left_y", "corner_right_y", "jaw")]
    amounts = np.concatenate([np.zeros(20), np.linspace(0, 1, 10), np.ones(20), np.linspace(1, 0, 10)])
    frames = []
    for amount in amounts:
        pose = spec.neutral.copy()
        pose[moving] += amount * (np.array([0.95, 0.95, 0.6]) - pose[moving])
        frames.append(face.render_pose(pose))
    return frames


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = 25) -> None:
    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())


def start_studio(workdir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*MIRRORFACE, "studio", "--port", str(port), "--workdir", str(workdir),
                               "--data", str(workdir / "data")], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            return server, url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the studio did not start")


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def speak(page, text: str) -> dict:
    page.fill("#speak-text", text)
    page.click("#speak-go")
    page.wait_for_function("window.studioMetrics && window.studioMetrics.finished && window.studioMetrics.files",
                           timeout=120_000)
    return page.evaluate("window.studioMetrics")


def show(label: str, values: list[float]) -> str:
    return f"{label:<34} median {statistics.median(values):6.0f} ms, worst {max(values):6.0f} ms"


def shoot(page, folder: Path | None, name: str) -> None:
    if folder is not None:
        page.screenshot(path=str(folder / f"studio-{name}.png"), full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--screenshots", type=Path, default=None)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = smiling_face()
        write_y4m(tmp / "face.y4m", clip)
        write_mp4(tmp / "face.mp4", clip * 4, 25)
        cli_say, _ = timed([*MIRRORFACE, "say", SENTENCE, "--out", str(tmp / "say.mp4")])
        cli_loop, out = timed([*MIRRORFACE, "coexpress", "--source", str(tmp / "face.mp4")])
        loop_line = out.strip().splitlines()[0]
        if args.screenshots is not None:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            subprocess.run([*MIRRORFACE, "babble", "--face", "lips10", "--frames", "120", "--episode-frames", "60",
                            "--out", str(tmp / "work" / "data" / "lips10-babble"), "--quiet"], check=True)
            subprocess.run([*MIRRORFACE, "studio", "render-study", "--babble", str(tmp / "work" / "data" /
                            "lips10-babble"), "--workdir", str(tmp / "work"), *sum([["--sentence", s] for s in STUDY],
                                                                                    [])], check=True)
        server, url = start_studio(tmp / "work")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                    *ARGS, f"--use-file-for-fake-video-capture={tmp / 'face.y4m'}"])
                context = browser.new_context(viewport={"width": 1180, "height": 760}, permissions=["camera"])
                page = context.new_page()
                page.goto(url + "/")
                page.wait_for_selector("body[data-ready='1']")
                speak(page, "Warm up.")
                runs = [speak(page, SENTENCE) for _ in range(args.repeats)]
                shoot(page, args.screenshots, "speak")

                page.click("#tabs button[data-view='coexpress']")
                page.click("#co-start")
                page.wait_for_function("window.coexpressMetrics && window.coexpressMetrics.ticks >= 10", timeout=60_000)
                first = page.evaluate("[window.coexpressMetrics.ticks, performance.now()]")
                time.sleep(args.seconds)
                m = page.evaluate("Object.assign({}, window.coexpressMetrics, {now: performance.now()})")
                shoot(page, args.screenshots, "coexpress")
                page.click("#co-stop")
                if args.screenshots is not None:
                    screenshots(page, args.screenshots)
                browser.close()
        finally:
            server.terminate()
            server.wait()

    rate = (m["ticks"] - first[0]) / ((m["now"] - first[1]) / 1000)
    rtt = m["rtt_ms"][first[0]:]
    print(f"studio on {os.cpu_count()} cores, headless chromium, localhost; speaking {SENTENCE!r}")
    print(show("Speak -> audio arrives", [r["audio_received_ms"] for r in runs]))
    print(show("Speak -> audio starts playing", [r["audio_started_ms"] for r in runs]))
    print(show("Speak -> first face frame drawn", [r["first_frame_shown_ms"] for r in runs]))
    print(f"{'late frames':<34} {sum(r['late'] for r in runs)} of {sum(r['frames'] for r in runs)}")
    first_frame = statistics.median(r["first_frame_shown_ms"] for r in runs)
    print(f"{'CLI `mirrorface say` until its MP4':<34} {cli_say * 1000:6.0f} ms "
          f"({cli_say * 1000 / first_frame:.0f}x the studio's first frame)")
    print(f"webcam round trips                 {rate:6.1f} Hz over {args.seconds:g} s (target 20 Hz, paced at 25), "
          f"round trip median {statistics.median(rtt):.0f} ms, p95 {np.percentile(rtt, 95):.0f} ms; "
          f"face found in {m['faces']}/{m['ticks']}, peak activations {len(m['activations'])}")
    work = re.search(r"work ([\d.]+) ms a tick", loop_line)
    print(f"CLI `mirrorface coexpress --source clip.mp4`: {loop_line} ({cli_loop:.1f} s wall)")
    if work:
        print(f"{'browser round trip / CLI tick work':<34} {statistics.median(rtt) / float(work.group(1)):.1f}x")


def screenshots(page, folder: Path) -> None:
    """The other views, each doing its job (the study's answers are clicked by this script)."""
    page.click("#tabs button[data-view='data']")
    page.wait_for_selector("#models table")
    page.wait_for_function("document.getElementById('data-sheet').complete && "
                           "document.getElementById('data-sheet').naturalWidth > 0")
    page.locator("#data-scrub").fill("37")
    page.wait_for_timeout(500)
    shoot(page, folder, "data")
    for participant in ("demo1", "demo2", "demo3", "demo4"):
        page.click("#tabs button[data-view='study']")
        page.evaluate("document.getElementById('study-intro').hidden = false")
        page.fill("#study-participant", participant)
        page.click("#study-start")
        for k in range(len(STUDY)):
            page.wait_for_function(f"document.querySelector('#study-progress').textContent.startsWith('trial {k + 1}')")
            if participant == "demo4" and k == 1:
                page.wait_for_timeout(800)
                shoot(page, folder, "study")
            page.click("#study-videos button[data-position='" + "ABC"[(k + len(participant)) % 3] + "']")
        page.wait_for_function("document.querySelector('#study-status').textContent.startsWith('Thank you')")
    page.click("#tabs button[data-view='analysis']")
    page.wait_for_function("window.studyAnalysis !== undefined")
    page.wait_for_timeout(800)
    shoot(page, folder, "analysis")
    page.click("#tabs button[data-view='chat']")
    page.fill("#chat-url", "http://127.0.0.1:8080")
    shoot(page, folder, "chat")


if __name__ == "__main__":
    main()
