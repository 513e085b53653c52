"""`ServoFace`: a real face = a motor bus + a camera, behind the same `Face` interface as the
simulator.

Time is the wall clock: `advance(seconds)` sleeps until a deadline on the monotonic clock, so a
loop of `send` + `advance(1 / fps)` keeps its rate however long each tick's work takes (a fixed
sleep would add the work time to every tick and drift). A bus fault ends safe: the face eases to
neutral where the servos still move, cuts torque when the spec says so, disconnects, and the
`BusFault` (naming the servo and the fault) goes on to the caller.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from mirrorface.errors import SpecError
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.bus import BusFault, make_bus
from mirrorface.hardware.calibration import Calibration, calibration_path, load_calibration
from mirrorface.hardware.camera_sim import SimCamera
from mirrorface.hardware.face import Face

T = TypeVar("T")


def face_calibration(spec: FaceSpec) -> Calibration:
    """The calibration file beside the spec's face.toml (one line naming the command when missing)."""
    if spec.source is None:
        raise SpecError(f"face {spec.name!r} uses a {spec.bus.type} bus: load it from its face.toml, "
                        "beside which its calibration lives")
    return load_calibration(calibration_path(spec.source), spec)


class ServoFace(Face):
    """A face on a servo bus, watched by its camera.

    Args:
        spec: the face; `[bus]` picks the driver, `[camera] device` the camera ("sim": the
            simulator filming the measured positions, for emulated robots).
        seed: seeds a simulated camera's noise.
        calibration: defaults to the file beside the spec (`mirrorface calibrate` makes it).
    """

    def __init__(self, spec: FaceSpec, *, seed: int = 0, calibration: Calibration | None = None):
        super().__init__(spec)
        self.bus = make_bus(spec, calibration or face_calibration(spec))
        self.camera = self._camera(seed)
        self._start = self._deadline = time.monotonic()
        self._failing = False

    def _camera(self, seed: int):
        device = self.spec.camera.device
        if device == "sim":
            return SimCamera(self.spec, self.read_positions, seed)
        if device is None:
            raise SpecError(f"face {self.spec.name!r}: set [camera] device (an OpenCV index such as \"0\", a "
                            "path or URL; or \"sim\" to film an emulated robot with the simulator)")
        from mirrorface.hardware.camera import OpenCVCamera  # the robot's own camera

        return OpenCVCamera(self.spec.camera)

    # -- Face --------------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.bus.connect()
        try:
            self.bus.set_torque(True)
            if not self.bus.has_feedback:
                # Hobby servos report nothing: each is wherever it was, and its first pulse moves it at
                # full speed. Send the neutral pose (safe by the spec's own check) first, so the face
                # starts where the safety layer's rate limit counts from, not at a reading of 0.
                self.bus.write_positions(self.spec.neutral)
            self.camera.start()
        except BaseException:
            self.bus.disconnect()
            raise
        self._failing = False
        self._start = self._deadline = time.monotonic()

    def _disconnect(self) -> None:
        self.camera.stop()
        self.bus.disconnect()

    def _write(self, command: np.ndarray) -> None:
        self._guarded(self.bus.write_positions, command)

    def read_positions(self) -> np.ndarray:
        return self._guarded(self.bus.read_positions)

    def read_frame(self) -> np.ndarray:
        frame, _ = self.camera.read()  # the newest frame; its time is the camera's business
        return frame

    def _advance(self, seconds: float) -> None:
        """Sleep until the previous deadline plus `seconds`; a caller late by more than the
        spec's loop deadline starts a new timeline instead of rushing to catch up."""
        now = time.monotonic()
        self._deadline += seconds
        if self._deadline < now - self.spec.safety.deadline_s:
            self._deadline = now
        elif self._deadline > now:
            time.sleep(self._deadline - now)

    @property
    def clock(self) -> float:
        return time.monotonic() - self._start

    # -- faults ------------------------------------------------------------------------------------

    def _guarded(self, op: Callable[..., T], *args) -> T:
        try:
            return op(*args)
        except BusFault:
            self._end_safe()
            raise

    def _end_safe(self) -> None:
        """After a fault: neutral where the servos still move, torque off if the spec says so."""
        if self._failing or not self._connected:
            return
        self._failing = True
        self._deadline = time.monotonic()  # a fresh timeline: every easing tick gets its full length
        try:
            with contextlib.suppress(BusFault):  # raised again: the wire is gone, nothing more reaches the servos
                self.go_neutral(self.seconds_to_neutral())
            if self.spec.bus.torque_off_on_fault and self.bus.has_torque_control:
                with contextlib.suppress(BusFault):
                    self.bus.set_torque(False)
        finally:
            self._connected = False
            with contextlib.suppress(BusFault, OSError):
                self._disconnect()

