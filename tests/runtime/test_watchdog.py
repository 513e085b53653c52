"""The watchdog: silence past the deadline sends the face to its safe pose and stops the run."""

import signal
import threading
import time

import numpy as np
import pytest

from mirrorface.hardware.sim import SimFace
from mirrorface.runtime.clock import MonotonicClock
from mirrorface.runtime.scheduler import Scheduler, WatchdogTripped
from mirrorface.runtime.watchdog import Watchdog


@pytest.fixture
def face(lips10):
    with SimFace(lips10, seed=0) as face:
        yield face


def smile(face):
    command = face.spec.neutral.copy()
    command[:4] = face.spec.upper[:4]
    return face.safety.project(command)


def test_a_stalled_planner_trips_the_watchdog_and_the_face_goes_safe(face):
    with Watchdog(face, deadline_s=0.1) as watchdog:
        scheduler = Scheduler(face, MonotonicClock(), watchdog=watchdog)
        watchdog.arm()
        for k in range(10):  # a planner that keeps up for a third of a second
            scheduler.play(k / 30, smile(face))
        assert not watchdog.tripped.is_set()
        assert watchdog.tripped.wait(2.0)  # ... then stalls
        assert watchdog.tripped_at >= 0.1  # not before the deadline (how soon after it: benchmarks/runtime.py)
        with pytest.raises(WatchdogTripped, match="safe pose"):
            scheduler.play(11 / 30, smile(face))  # the planner comes back: too late, the run is over
    assert np.allclose(face.safety.last, face.spec.neutral)
    assert np.allclose(face.read_positions(), face.spec.neutral, atol=0.02)


def test_fresh_commands_keep_it_quiet_and_a_disarmed_watchdog_waits(face):
    with Watchdog(face, deadline_s=0.1) as watchdog:
        scheduler = Scheduler(face, MonotonicClock(), watchdog=watchdog)
        watchdog.arm()
        for k in range(12):
            scheduler.play(k / 30, smile(face))
        watchdog.disarm()  # e.g. waiting for the person to type: holding a pose on purpose
        time.sleep(0.25)
        assert not watchdog.tripped.is_set()


def test_a_stalled_main_thread_is_interrupted_into_one_line(face):
    with pytest.raises(WatchdogTripped, match=r"no fresh command for \d+ ms"):  # noqa: SIM117
        with Watchdog(face, deadline_s=0.05, interrupt_main=True) as watchdog:
            watchdog.arm()
            threading.Event().wait(5.0)  # a planner stuck in this thread
    assert np.allclose(face.safety.last, face.spec.neutral)


def test_a_stalled_main_thread_is_interrupted_even_where_sigint_was_inherited_ignored(face):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a job started in a script's background
    try:
        with pytest.raises(WatchdogTripped, match=r"no fresh command for \d+ ms"):  # noqa: SIM117
            with Watchdog(face, deadline_s=0.05, interrupt_main=True) as watchdog:
                watchdog.arm()
                threading.Event().wait(5.0)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # left as it was found
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_face_that_fails_while_easing_home_still_ends_the_run_with_its_reason(face):
    """A bus that dies during the trip: the run still ends, with one message naming both failures."""
    from mirrorface.errors import DeviceError

    def broken(command):
        raise DeviceError("servo 3 (jaw): no reply")

    with Watchdog(face, deadline_s=0.1) as watchdog:
        scheduler = Scheduler(face, MonotonicClock(), watchdog=watchdog)
        watchdog.arm()
        scheduler.play(0.0, smile(face))
        face._write = broken  # the wire is cut while the planner stalls
        assert watchdog.tripped.wait(2.0)
        with pytest.raises(WatchdogTripped, match=r"safe pose \(servo 3 \(jaw\): no reply\)"):
            scheduler.play(1.0, smile(face))
    del face._write  # the wire mended, so the fixture can close the face


def test_a_send_while_the_watchdog_eases_the_face_home_ends_the_run_without_a_deadlock(face):
    with Watchdog(face, deadline_s=0.1, safe_pose_s=1.0) as watchdog:
        scheduler = Scheduler(face, MonotonicClock(), watchdog=watchdog)
        scheduler.send(smile(face))
        watchdog.arm()
        while not watchdog.tripped.is_set():  # the planner stalls; the watchdog starts easing home
            time.sleep(0.01)
        outcome = []

        def late_send():  # the stalled planner wakes up mid-ease and sends
            try:
                scheduler.send(smile(face))
            except WatchdogTripped as exc:
                outcome.append(exc)

        sender = threading.Thread(target=late_send)
        sender.start()
        sender.join(30)  # (a deadlock guard, not a timing: the ease takes 1 s)
        assert not sender.is_alive() and len(outcome) == 1
    assert np.allclose(face.safety.last, face.spec.neutral)
