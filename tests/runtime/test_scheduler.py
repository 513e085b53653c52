"""The scheduler sends on time, drops what is stale, leads by the servo lag, and keeps a simulator in step."""

import threading
import time

import numpy as np
import pytest

from mirrorface.hardware.sim import SimFace
from mirrorface.runtime.clock import Clock, MonotonicClock, VirtualClock
from mirrorface.runtime.scheduler import Scheduler, ease_to_safe_pose


class SteppedClock(Clock):
    """A clock that jumps when the test says, to make a command late on purpose."""

    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def wait_until(self, t, stop=None, poll_s=0.05):
        self.t = max(self.t, t)
        return True


@pytest.fixture
def face(lips10):
    with SimFace(lips10, seed=0) as face:
        yield face


def test_stale_commands_are_dropped_and_counted(face):
    clock = SteppedClock()
    scheduler = Scheduler(face, clock, stale_s=0.02)
    sent = []
    command = face.spec.neutral.copy()
    for k, late in enumerate([0.0, 0.0, 0.5, 0.0, 0.01]):
        clock.t = k / 30 + late  # the planner came back `late` seconds after command k was due
        sent.append(scheduler.play(k / 30, command))
    assert [s is None for s in sent] == [False, False, True, False, False]
    assert scheduler.stats.dropped == 1 and scheduler.stats.sent == 4
    assert np.allclose(scheduler.stats.late_s, [0.0, 0.0, 0.0, 0.01])


def test_commands_are_sent_lead_s_before_their_stamp(face):
    clock = SteppedClock()
    times = []
    scheduler = Scheduler(face, clock, lead_s=0.05, on_sent=lambda t, c: times.append(t))
    for k in range(3):
        scheduler.play(0.1 + k / 30, face.spec.neutral)
    assert np.allclose(times, 0.05 + np.arange(3) / 30)


def test_on_the_wall_clock_a_simulated_face_moves_for_the_time_that_really_passed(face):
    clock = MonotonicClock()
    scheduler = Scheduler(face, clock)
    open_jaw = face.spec.neutral.copy()
    open_jaw[face.spec.names.index("jaw")] = face.spec.upper[face.spec.names.index("jaw")]
    started = face.clock
    # At 50 ms: the first command after connecting may move only as far as the time since connecting allows.
    scheduler.play(0.05, open_jaw)
    time.sleep(0.1)
    scheduler.sync()
    assert face.clock - started >= 0.15  # the runtime advanced the simulator; nothing slept in advance()
    moved = face.read_positions()[face.spec.names.index("jaw")] - face.spec.neutral[face.spec.names.index("jaw")]
    assert moved > 0


def test_offline_on_the_virtual_clock_nothing_is_late(face):
    scheduler = Scheduler(face, VirtualClock(face))
    for k in range(30):
        scheduler.play(k / 30, face.spec.neutral)
    assert scheduler.stats.dropped == 0 and max(scheduler.stats.late_s) < 1e-9


def test_easing_to_the_safe_pose_reaches_neutral_through_the_safety_layer(face):
    wide = face.spec.upper.copy()
    scheduler = Scheduler(face, VirtualClock(face))
    for k in range(30):
        scheduler.play(k / 30, wide)
    sent, times = [], []
    ease_to_safe_pose(face, threading.Lock(), 0.5, lambda t, c: (times.append(t), sent.append(c)))
    assert np.allclose(sent[-1], face.spec.neutral)
    steps = np.abs(np.diff(np.array(sent), axis=0))
    allowed = face.spec.speed * (np.diff(times)[:, None] + 0.005)  # (the face's clock is caught up just before)
    assert np.all(steps <= allowed) and len(sent) > 20  # rate-limited: a glide, never a jump
    assert np.allclose(face.read_positions(), face.spec.neutral, atol=0.02)
