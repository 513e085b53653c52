"""Clocks: a wait returns at its time and not before, a stop request ends it, a virtual clock steps the face."""

import time

from mirrorface.hardware.sim import SimFace
from mirrorface.runtime.clock import Deadline, MonotonicClock, VirtualClock


def test_a_wait_returns_at_its_time_not_before():
    clock = MonotonicClock()
    for t in (0.01, 0.025, 0.04):
        assert clock.wait_until(t)
        assert clock.now() >= t


def test_a_stop_request_ends_a_wait():
    clock = MonotonicClock()
    asked = time.perf_counter() + 0.02
    assert not clock.wait_until(10.0, stop=lambda: time.perf_counter() > asked, poll_s=0.005)
    assert clock.now() < 10.0


def test_a_virtual_clock_steps_the_simulated_face_instead_of_sleeping(lips10):
    with SimFace(lips10) as face:
        clock = VirtualClock(face)
        started = face.clock
        assert clock.wait_until(120.0)  # two minutes of face time, at once
        assert clock.now() == face.clock - started
        assert abs(clock.now() - 120.0) < 1e-9
        clock.wait_until(60.0)  # the past: nothing happens
        assert abs(clock.now() - 120.0) < 1e-9


def test_a_deadline_expires_unless_renewed(lips10):
    with SimFace(lips10) as face:
        clock = VirtualClock(face)
        deadline = Deadline(0.2, clock)
        clock.wait_until(0.15)
        assert not deadline.expired
        deadline.renew()
        clock.wait_until(0.3)
        assert not deadline.expired and abs(deadline.remaining - 0.05) < 1e-9
        clock.wait_until(0.4)
        assert deadline.expired
