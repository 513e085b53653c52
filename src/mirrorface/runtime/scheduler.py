"""Send each time-stamped command at its time, on whatever clock the run follows.

A command's stamp is when the face should *show* it, on the run's clock (the audio the listener
hears, the camera, the wall). It is sent `lead_s` earlier: the face's servo lag beyond what the
commands already allow for, plus nothing for audio, whose output latency the audio clock itself
subtracts (`runtime.audio`). A command whose send time has passed by more than `stale_s` is
dropped and counted: the moment it was for is gone, and sending it would only delay the next.

The face's own time is kept in step with the wall clock before every send (`FaceTime`): the
runtime never waits through `Face.advance`. A simulator is stepped by the time that really
passed (not by the audio clock, which pauses when the sound is starved: the servos do not);
a real face, whose clock runs by itself, is already there and is not advanced at all. Offline,
on a `VirtualClock`, the face's time is the run's clock and waiting is what advances it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.hardware.face import Face
from mirrorface.runtime.clock import Clock, MonotonicClock, VirtualClock


class WatchdogTripped(MirrorfaceError):
    """The watchdog sent the face to its safe pose; the run must stop. Its message is the one line."""


class FaceTime:
    """Brings a face's clock up to the wall clock (seconds elapsed since both were paired)."""

    def __init__(self, face: Face, clock: Clock):
        self.face, self.clock = face, clock
        self.pair()

    def pair(self) -> None:
        self.face_start, self.clock_start = self.face.clock, self.clock.now()

    def catch_up(self) -> None:
        behind = (self.clock.now() - self.clock_start) - (self.face.clock - self.face_start)
        if behind > 0:
            self.face.advance(behind)


@dataclass
class SendStats:
    """What a scheduler did: sends, drops and how late each send was against its time."""

    sent: int = 0
    dropped: int = 0
    late_s: list[float] = field(default_factory=list)  # send time minus scheduled send time

    def jitter_ms(self) -> dict:
        late = np.abs(np.array(self.late_s or [np.nan])) * 1e3
        return {"sent": self.sent, "dropped": self.dropped, "jitter_ms_median": float(np.median(late)),
                "jitter_ms_p99": float(np.quantile(late, 0.99))}


class Scheduler:
    """Sends commands to one face at their stamps on `clock`.

    Args:
        lead_s: how much earlier than its stamp each command is sent (servo latency compensation).
        stale_s: how late a send may be before the command is dropped instead.
        watchdog: fed on every send; once it has tripped, sending raises `WatchdogTripped`.
        lock: held around every touch of the face, shared with the watchdog's safe stop.
        on_sent: called with (clock time, command sent) after every send, to record the run.
    """

    def __init__(self, face: Face, clock: Clock, *, lead_s: float = 0.0, stale_s: float = 0.02,
                 watchdog=None, lock: threading.Lock | None = None,
                 on_sent: Callable[[float, np.ndarray], None] | None = None):
        self.face, self.clock = face, clock
        self.lead_s, self.stale_s = lead_s, stale_s
        self.watchdog = watchdog
        self.lock = lock if lock is not None else (watchdog.lock if watchdog is not None else threading.Lock())
        self.face_time = None if isinstance(clock, VirtualClock) else FaceTime(face, MonotonicClock())
        self.on_sent = on_sent
        self.stats = SendStats()
        self._due: float | None = None

    def send_time(self, stamp: float) -> float:
        return stamp - self.lead_s

    def wait(self, stamp: float) -> bool:
        """Wait until the command stamped `stamp` is due; False if it is already stale (dropped)."""
        due = self.send_time(stamp)
        stop = None if self.watchdog is None else self.watchdog.tripped.is_set
        if not self.clock.wait_until(due, stop):
            raise self.watchdog.failure()
        if self.clock.now() - due > self.stale_s:
            self.stats.dropped += 1
            return False
        self._due = due
        return True

    def sync(self) -> None:
        """Bring the face's time up to now (before reading it or sending to it)."""
        if self.face_time is not None:
            with self.lock:
                self.face_time.catch_up()

    def send(self, command: np.ndarray) -> np.ndarray:
        """Send now (after `wait`), through the face's safety layer; returns what was sent."""
        with self.lock:
            tripped = self.watchdog is not None and self.watchdog.tripped.is_set()
            if not tripped:
                now = self.clock.now()  # the send starts: its lateness against the due time is the jitter
                if self.face_time is not None:  # a simulator's servos move for the time that passed (~0.2 ms)
                    self.face_time.catch_up()
                sent = self.face.send(command)
                if self._due is not None:
                    self.stats.late_s.append(now - self._due)
                    self._due = None
        if tripped:  # waited for outside the lock: the watchdog holds it while it eases the face home
            raise self.watchdog.failure()
        self.stats.sent += 1
        if self.on_sent is not None:
            self.on_sent(now, sent)
        if self.watchdog is not None:
            self.watchdog.feed()
        return sent

    def play(self, stamp: float, command: np.ndarray) -> np.ndarray | None:
        """`wait` then `send`; None when the command was stale and dropped."""
        return self.send(command) if self.wait(stamp) else None

    def finish(self, stamp: float) -> None:
        """Let the face run until `stamp` (the end of the last command's period)."""
        self.clock.wait_until(self.send_time(stamp))
        self.sync()


def ease_to_safe_pose(face: Face, lock: threading.Lock, seconds: float,
                      on_sent: Callable[[float, np.ndarray], None] | None = None, rate_hz: float = 50.0) -> None:
    """Send the face's safe (neutral) pose for `seconds` of wall-clock time, through its safety layer.

    The safety layer's rate limit turns the repeated neutral command into a safe glide. Paced on
    the wall clock (a simulator is stepped by the time that passes), under `lock`.
    """
    clock = MonotonicClock()
    with lock:
        face_time = FaceTime(face, clock)
    for k in range(max(1, int(seconds * rate_hz)) + 1):
        clock.wait_until(k / rate_hz)
        with lock:
            face_time.catch_up()
            sent = face.send(face.spec.neutral)
        if on_sent is not None:
            on_sent(clock.now(), sent)
