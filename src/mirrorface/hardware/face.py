"""The `Face` interface that the simulator and real servo faces share.

Everything above this layer (babbling, lip sync, coexpression, the CLI) talks to a `Face` and
never knows whether it is simulated. `send` is implemented here, once, so that every backend
routes every command through the safety layer; backends implement only the raw `_write`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

from mirrorface.errors import DeviceError, SafetyError
from mirrorface.face.safety import SafetyLayer, SafetyReport
from mirrorface.face.spec import FaceSpec


class Face(ABC):
    """A robot face: actuators that take normalized commands, and a camera that watches it.

    Use as a context manager: `with make_face(spec) as face: ...` connects, and on exit (also on
    an exception or Ctrl-C) returns the face to neutral and disconnects.
    """

    def __init__(self, spec: FaceSpec):
        self.spec = spec
        self.safety = SafetyLayer(spec)
        self.last_report = SafetyReport()
        self._connected = False
        self._last_send_clock = 0.0

    # -- what a backend implements ------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> None: ...

    @abstractmethod
    def _disconnect(self) -> None: ...

    @abstractmethod
    def _write(self, command: np.ndarray) -> None:
        """Move the actuators towards `command` (already safe). Only `send` may call this."""

    @abstractmethod
    def read_positions(self) -> np.ndarray:
        """Measured actuator positions, normalized, ordered by actuator index."""

    @abstractmethod
    def read_frame(self) -> np.ndarray:
        """The camera's current view of the face: (H, W, 3) uint8 RGB."""

    @abstractmethod
    def _advance(self, seconds: float) -> None:
        """Let `seconds` (finite, >= 0) pass: a real face waits, the simulator steps its dynamics."""

    @property
    @abstractmethod
    def clock(self) -> float:
        """Seconds since connecting, on this face's own clock."""

    # -- shared behaviour -----------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._connected

    def connect(self) -> None:
        self._connect()
        self._connected = True
        self.safety.reset(self.read_positions())
        # The first command is rate-limited over the time since connecting, like every later one
        # over the time since the previous command (not as if a second had passed).
        self._last_send_clock = self.clock

    def advance(self, seconds: float) -> None:
        """Let time pass. A step that is not a finite, non-negative number of seconds is refused
        here, before it can reach the face's clock, so the face stays usable."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise SafetyError(f"time can only advance by a finite number of seconds >= 0, got {seconds}")
        self._advance(seconds)

    def send(self, command: np.ndarray) -> np.ndarray:
        """Send a command through the safety layer; returns the command actually sent."""
        if not self._connected:
            raise DeviceError(f"face {self.spec.name!r} is not connected")
        now = self.clock
        dt = now - self._last_send_clock
        sent, self.last_report = self.safety(command, dt)
        self._last_send_clock = now
        self._write(sent)
        return sent

    def seconds_to_neutral(self) -> float:
        """How long the speed limits need to bring the last command back to neutral (plus two ticks)."""
        ticks = np.max(np.abs(self.safety.last - self.spec.neutral) / self.spec.speed) * self.spec.camera.fps
        return float(np.ceil(ticks) + 2) / self.spec.camera.fps

    def go_neutral(self, seconds: float = 1.0) -> None:
        """Ease back to the neutral pose at a safe speed."""
        steps = max(1, int(seconds * 30))
        for _ in range(steps):
            self.send(self.spec.neutral)
            self.advance(seconds / steps)

    def close(self) -> None:
        if self._connected:
            try:
                self.go_neutral(max(1.0, self.seconds_to_neutral()))  # a slow face is given the time it needs
            finally:
                self._disconnect()
                self._connected = False

    def __enter__(self) -> Face:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def make_face(spec: FaceSpec, *, seed: int = 0) -> Face:
    """The backend the spec's `[bus] type` names: the built-in simulator, or a servo face whose
    driver comes from the bus registry (`hardware/bus.py`; an unknown type is refused there)."""
    from mirrorface.hardware.servo import ServoFace
    from mirrorface.hardware.sim import SimFace

    backends: dict[str, type[Face]] = {"sim": SimFace}
    return backends.get(spec.bus.type, ServoFace)(spec, seed=seed)
