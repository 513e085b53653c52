"""Clocks the runtime schedules against, and the one precise wait.

A clock says what time it is (`now`, seconds from its own zero) and waits until a time
(`wait_until`). Three kinds:
- `MonotonicClock`: the wall clock (`time.perf_counter`). Its wait sleeps until about a
  millisecond before the deadline, then spins: `time.sleep` overshoots by up to a scheduler
  tick, a spin does not (diffusion_policy's `precise_wait`).
- an audio sink's clock (`runtime.audio`): the position of the sound the listener hears. It
  runs at the wall clock's rate, so the same sleep-then-spin wait works on it.
- `VirtualClock`: a simulated face's own time. Waiting steps the simulator instead of sleeping,
  so offline runs (training, evaluation, `say` without --realtime) go as fast as the work allows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SPIN_S = 0.001  # the last stretch of a wait is spun, not slept: sleep overshoots by ~0.1-1 ms


class Clock:
    """Seconds on some clock, and a precise wait on it (for clocks that run at wall-clock rate)."""

    spin_s = SPIN_S

    def now(self) -> float:
        raise NotImplementedError

    def wait_until(self, t: float, stop: Callable[[], bool] | None = None, poll_s: float = 0.05) -> bool:
        """Return at `t` on this clock (at once if it has passed); False if `stop()` turned true first.

        Sleeps in slices of at most `poll_s` so that a stop request (the watchdog) or a clock that
        pauses (an audio stream starved of samples) is noticed.
        """
        while True:
            if stop is not None and stop():
                return False
            remaining = t - self.now()
            if remaining <= 0:
                return True
            if remaining > self.spin_s:
                time.sleep(min(remaining - self.spin_s, poll_s))


class MonotonicClock(Clock):
    """The wall clock, from zero when made (or `restart`ed)."""

    def __init__(self):
        self.start = time.perf_counter()

    def restart(self) -> None:
        self.start = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self.start


class VirtualClock(Clock):
    """A simulated face's clock: `wait_until` advances the simulator to that time, at once.

    Time never passes by itself, so nothing scheduled on it is ever late.
    """

    def __init__(self, face):
        self.face = face
        self.start = face.clock

    def now(self) -> float:
        return self.face.clock - self.start

    def wait_until(self, t: float, stop: Callable[[], bool] | None = None, poll_s: float = 0.05) -> bool:
        if stop is not None and stop():
            return False
        ahead = t - self.now()
        if ahead > 0:
            self.face.advance(ahead)
        return True


class Deadline:
    """A time limit on a clock, pushed back each time something fresh arrives (`renew`)."""

    def __init__(self, seconds: float, clock: Clock):
        self.seconds, self.clock = seconds, clock
        self.renew()

    def renew(self) -> None:
        self.at = self.clock.now() + self.seconds

    @property
    def remaining(self) -> float:
        return self.at - self.clock.now()

    @property
    def expired(self) -> bool:
        return self.remaining < 0
