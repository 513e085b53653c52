"""The watchdog: a face is never left holding a stale command.

While armed, it expects a fresh command within `deadline_s` (the face spec's
`safety.deadline_s` by default). When none comes (the planner stalled, raised, or was
interrupted), its own thread takes the face's lock, eases the face to its safe pose through the
safety layer, and stops the run: later sends raise `WatchdogTripped`, and with
`interrupt_main` the main thread is interrupted too (it may be the stalled one), which
`Watchdog.__exit__` turns into the same one-line error.
"""

from __future__ import annotations

import signal
import threading

from mirrorface.errors import MirrorfaceError
from mirrorface.hardware.face import Face
from mirrorface.runtime.clock import MonotonicClock
from mirrorface.runtime.scheduler import WatchdogTripped, ease_to_safe_pose

SAFE_POSE_S = 0.5  # how long the face takes to ease to its safe pose after a trip


class Watchdog:
    """Guards one face; use as a context manager around a run (`arm` when commands start)."""

    def __init__(self, face: Face, deadline_s: float | None = None, *, interrupt_main: bool = False,
                 safe_pose_s: float = SAFE_POSE_S, on_sent=None):
        self.face = face
        self.deadline_s = deadline_s if deadline_s is not None else face.spec.safety.deadline_s
        self.interrupt_main = interrupt_main
        self.safe_pose_s = safe_pose_s
        self.on_sent = on_sent  # records the safe-pose commands too (see Scheduler)
        self.lock = threading.Lock()
        self.tripped = threading.Event()  # set at once: no command may follow
        self._safe = threading.Event()  # set once the face has reached its safe pose
        self.clock = MonotonicClock()
        self.tripped_at: float | None = None  # seconds after the last fresh command
        self.message = ""
        self._last_feed = self.clock.now()
        self._armed = False
        self._stop = threading.Event()
        self._ignored_sigint = False  # SIGINT was ignored on entry (restored on exit)
        self._thread = threading.Thread(target=self._watch, name="mirrorface-watchdog", daemon=True)

    def feed(self) -> None:
        """A fresh command reached the face."""
        self._last_feed = self.clock.now()

    def arm(self) -> None:
        self.feed()
        self._armed = True

    def disarm(self) -> None:
        """Nothing is being performed (the face holds a pose on purpose, e.g. waiting for input)."""
        self._armed = False

    def _watch(self) -> None:
        while not self._stop.is_set():
            silent = self.clock.now() - self._last_feed
            if self._armed and silent > self.deadline_s:
                self.trip(f"no fresh command for {silent * 1e3:.0f} ms (deadline {self.deadline_s * 1e3:.0f} ms)")
                return
            self._stop.wait(min(0.005, self.deadline_s / 10))

    def trip(self, why: str) -> None:
        """Send the face to its safe pose and stop the run."""
        self.tripped_at = self.clock.now() - self._last_feed
        self.message = f"watchdog: {why}; the face went to its safe pose"
        self.tripped.set()
        try:
            if self.face.is_connected:  # (a slow face is given the time its speed limits need)
                seconds = max(self.safe_pose_s, self.face.seconds_to_neutral())
                ease_to_safe_pose(self.face, self.lock, seconds, self.on_sent)
        except MirrorfaceError as exc:  # the face failed too (a bus fault): it has ended safe its own way
            self.message += f" ({exc})"
        finally:
            self._safe.set()
            if self.interrupt_main:  # a real signal: it also wakes a main thread blocked in a wait
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    def failure(self) -> WatchdogTripped:
        """The error that ends a tripped run, once the face has reached its safe pose."""
        self._safe.wait()
        return WatchdogTripped(self.message)

    def __enter__(self) -> Watchdog:
        # A process started in the background of a script inherits SIGINT ignored, and an ignored
        # signal would not wake a stalled main thread: while this runs, SIGINT raises as usual.
        self._ignored_sigint = (self.interrupt_main and threading.current_thread() is threading.main_thread()
                                and signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
        if self._ignored_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        self._thread.start()
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        if self._ignored_sigint:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if kind is KeyboardInterrupt and self.tripped.is_set():
            raise self.failure() from exc


def deadline_s(deadline_ms: float | None) -> float | None:
    """A --deadline-ms option in seconds (None: the face spec's own)."""
    if deadline_ms is None:
        return None
    if not 10 <= deadline_ms <= 5000:
        raise MirrorfaceError(f"--deadline-ms must be within 10..5000, got {deadline_ms:g}")
    return deadline_ms / 1000
