"""The Coexpress view in Chromium, its camera fed from a video of a face (Chromium's fake camera)."""

from __future__ import annotations

import numpy as np
import pytest

from mirrorface.face.sim.painter import Painter

from .helpers import launch


def smiling_face_clip(spec, fps: int = 25) -> list[np.ndarray]:
    """The simulated face at rest, then smiling with an open jaw, then relaxing: 2.4 s, looped by the camera."""
    face = Painter(spec, seed=0)
    moving = [spec.index_of(name) for name in ("corner_left_y", "corner_right_y", "jaw")]
    smile = np.array([0.95, 0.95, 0.6])
    amounts = np.concatenate([np.zeros(20), np.linspace(0, 1, 10), np.ones(20), np.linspace(1, 0, 10)])
    clip = []
    for amount in amounts:
        pose = spec.neutral.copy()
        pose[moving] += amount * (smile - pose[moving])
        clip.append(face.render_pose(pose))
    return clip


def write_y4m(path, frames: list[np.ndarray], fps: int = 25) -> None:
    """YUV4MPEG2, 4:2:0: the format Chromium's fake camera plays."""
    import cv2

    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())


@pytest.fixture(scope="module")
def camera_browser(tmp_path_factory, emo26, playwright):
    video = tmp_path_factory.mktemp("camera") / "face.y4m"
    write_y4m(video, smiling_face_clip(emo26))
    browser = launch(playwright, "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}")
    yield browser
    browser.close()


def test_the_robot_answers_the_webcam(camera_browser, studio):
    context = camera_browser.new_context(permissions=["camera"])
    page = context.new_page()
    try:
        page.goto(studio.url + "/#coexpress")
        page.wait_for_selector("body[data-ready='1']")
        page.click("#co-start")
        page.wait_for_function("window.coexpressMetrics && window.coexpressMetrics.ticks >= 100", timeout=60_000)
        m = page.evaluate("window.coexpressMetrics")
        assert m["error"] is None
        assert m["faces"] >= 0.9 * m["ticks"]  # MediaPipe finds the face in the camera's frames
        assert len(m["activations"]) >= 1  # the smile fired the peak-activation detector
        assert page.locator("#co-events li").count() == len(m["activations"])
        assert len(m["rtt_ms"]) == m["ticks"]
        # the robot's face is drawn: its canvas is not the blank background
        spread = page.evaluate("""() => { const d = document.getElementById('co-robot').getContext('2d')
            .getImageData(0, 0, 256, 256).data; let lo = 255, hi = 0;
            for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
            return hi - lo; }""")
        assert spread > 100
        page.click("#co-stop")
        page.wait_for_function("document.getElementById('co-start').disabled === false")
    finally:
        context.close()


def test_the_browser_paces_the_ticks_and_the_face_still_moves_in_real_time(emo26):
    """The simulated face moves for the wall-clock time between the browser's frames (no tick waits
    out its period: benchmarks/studio.py measures the round trips)."""
    import time

    import cv2

    from mirrorface.coexpression import session
    from mirrorface.studio.coexpress import WebcamCoexpression

    frame = cv2.imencode(".png", smiling_face_clip(emo26)[0][:, :, ::-1])[1].tobytes()
    with WebcamCoexpression(emo26, session.load_parts(emo26)) as webcam:
        started = webcam.face.clock
        webcam.step(frame)
        time.sleep(0.2)
        webcam.step(frame)
        assert webcam.face.clock - started >= 0.2


def test_a_browser_that_stops_sending_frames_leaves_the_face_at_its_safe_pose(emo26):
    import time

    import cv2

    from mirrorface.coexpression import session
    from mirrorface.errors import MirrorfaceError
    from mirrorface.studio.coexpress import BROWSER_DEADLINE_S, WebcamCoexpression

    frame = cv2.imencode(".png", smiling_face_clip(emo26)[0][:, :, ::-1])[1].tobytes()
    with WebcamCoexpression(emo26, session.load_parts(emo26)) as webcam:
        webcam.step(frame)
        webcam.face.send(np.clip(emo26.neutral + 0.2, emo26.lower, emo26.upper))  # (a face away from rest)
        give_up = time.monotonic() + BROWSER_DEADLINE_S + 30
        while not webcam.watchdog.tripped.is_set() and time.monotonic() < give_up:
            time.sleep(0.05)  # the browser sends nothing
        assert webcam.watchdog.tripped.is_set()
        with pytest.raises(MirrorfaceError, match="watchdog"):
            webcam.step(frame)
        assert np.allclose(webcam.face.safety.last, emo26.neutral)
