"""The Coexpress view's engine: webcam frames from the browser in, the robot's face out, one tick each.

The adapter between the page and `coexpression.loop`: each frame the browser sends goes through
MediaPipe face mesh into the 113 head-normalised landmarks, becomes the loop's newest
observation, and the loop ticks once (tracker, predictive model at a peak activation, inverse
model, `Face.send` through the safety layer). The page gets back what the tick saw and did and
the face's camera picture. The loop's time is the wall clock since the first frame, so the
tracker and the deadline see the browser's real frame rate. A watchdog guards the face: should
the browser stop sending frames (a hidden tab, a stalled network) for `BROWSER_DEADLINE_S`, the
face eases to its safe pose and the session ends with one line.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import cv2
import numpy as np

from mirrorface.coexpression import session
from mirrorface.coexpression.loop import Tick
from mirrorface.coexpression.sources import Observation
from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.face import make_face
from mirrorface.perception.landmarks import FaceMeshDetector
from mirrorface.perception.subset import subset
from mirrorface.runtime.clock import MonotonicClock
from mirrorface.runtime.watchdog import Watchdog

RATE_HZ = 25.0  # the browser's frames a second, one tick each: the tracker and the smoother count them
# A page's frames cross a network and a browser that throttles hidden tabs: the face's own deadline
# (200 ms) would end sessions on every hiccup; a second without a frame is a stall.
BROWSER_DEADLINE_S = 1.0


class LatestFrame:
    """A coexpression source holding whatever the browser sent last."""

    duration = float("inf")

    def __init__(self) -> None:
        self.observation = Observation(None, 0)

    def read(self, t: float) -> Observation:
        return self.observation

    def close(self) -> None:
        pass


@dataclass
class Answer:
    tick: Tick
    predicted: np.ndarray | None  # (113, 2) the expression the predictive model expects, at an activation
    robot: np.ndarray  # (H, W, 3) the face's camera picture after the tick


class BrowserPaced(MonotonicClock):
    """The wall clock, without waits: the browser's frames pace the ticks (one in flight at a time),
    and the face still moves for the time that really passed (the scheduler catches the simulator
    up to this clock at each send). Waiting out each tick here would add a period to every round trip."""

    def wait_until(self, t: float, stop=None, poll_s: float = 0.05) -> bool:
        return True


class WebcamCoexpression:
    """One browser session driving one face: `open()`, `step()` per frame, `close()` (or `with`)."""

    def __init__(self, spec: FaceSpec, parts: session.Parts, mode: str = "coexpress", seed: int = 0):
        self.parts = parts
        self.face = make_face(spec, seed=seed)
        self.loop = session.make_loop(self.face, parts, session.loop_config(mode, RATE_HZ, camera_fps=RATE_HZ))
        self.source = LatestFrame()
        self.detector = FaceMeshDetector(video=True)
        self.clock: BrowserPaced | None = None
        self.watchdog = Watchdog(self.face, max(spec.safety.deadline_s, BROWSER_DEADLINE_S))
        self._guard = contextlib.ExitStack()

    def open(self) -> WebcamCoexpression:
        self.face.connect()
        self.loop.warm_up()
        self.clock = BrowserPaced()
        self.loop.pace(self.clock, self._guard.enter_context(self.watchdog))
        self.watchdog.arm()
        return self

    def close(self) -> None:
        """The face eases back to neutral and is released (`Face.close`), whatever ended the session."""
        try:
            self._guard.close()  # the watchdog's thread ends
            self.face.close()
        finally:
            self.detector.close()

    def __enter__(self) -> WebcamCoexpression:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def step(self, jpeg: bytes) -> Answer:
        """One browser frame (JPEG or PNG bytes) -> one tick of the loop, which ends one period after the frame came."""
        t = self.clock.now()
        bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise MirrorfaceError("the browser sent a frame that is not an image")
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        mesh = self.detector(rgb)
        landmarks = None if mesh is None else subset(mesh, aspect=rgb.shape[1] / rgb.shape[0])
        self.source.observation = Observation(landmarks, 0)
        tick = self.loop.step(t, self.source)
        activation = tick.activation
        predicted = None if activation is None else self.parts.predict(activation.frames, activation.rest)
        return Answer(tick, predicted, self.face.read_frame())
