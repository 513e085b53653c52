"""The coexpression loop keeps its deadline and its safety layer, and coexpresses ahead of mimicry."""

import math
import time
from dataclasses import replace

import numpy as np
import pytest

from mirrorface.coexpression.loop import CoexpressionLoop, LoopConfig, loop_rate
from mirrorface.coexpression.normalize import RobotRange
from mirrorface.coexpression.peak import EXPRESSIVE
from mirrorface.coexpression.selfmodel import CommandSet
from mirrorface.coexpression.smoothing import SmootherConfig
from mirrorface.coexpression.sources import Observation
from mirrorface.errors import MirrorfaceError
from mirrorface.hardware.sim import SimFace
from mirrorface.runtime.clock import MonotonicClock
from mirrorface.runtime.watchdog import Watchdog

REST = np.random.default_rng(0).random((113, 2))
FIELD = np.zeros((113, 2))
FIELD[EXPRESSIVE] = np.random.default_rng(1).normal(size=(len(EXPRESSIVE), 2))  # a smile moves the brows and mouth
FIELD /= np.linalg.norm(FIELD)
ROBOT = RobotRange(REST, REST - 0.2, REST + 0.2)


class Smile:
    """A person at rest for 1 s, then smiling (a minimum-jerk rise of size 0.1 over 0.8 s), or gone."""

    duration = 3.0

    def __init__(self, gone=()):
        self.gone = gone

    def level(self, t):
        x = np.clip((t - 1.0) / 0.8, 0, 1)
        return 0.1 * x**3 * (10 - 15 * x + 6 * x**2)

    def read(self, t):
        if any(a <= t < b for a, b in self.gone):
            return Observation(None, 0)
        return Observation(REST + self.level(t) * FIELD, 0)


class Camera30:
    """The smile seen by a 30 fps camera: a read gives the newest frame and its number."""

    duration = 3.0

    def __init__(self):
        self.smile, self.reads = Smile(), []

    def read(self, t):
        frame = int(t * 30 + 1e-9)
        self.reads.append(frame)
        return Observation(self.smile.read(frame / 30).landmarks, 0, frame)


def smile_amount(landmarks):
    """The fake inverse model: corner_y rises with the smile, everything else stays calm."""
    values = np.array([0.4, 0.4, 0.7, 0.3, 0.45, 0.45, 0.5, 0.5, 0.5, 0.5, 0.05])
    values[9] = 0.5 + 4.0 * float(np.sum((landmarks - REST) * FIELD))
    return values


def full_smile(frames, rest):
    """The fake predictive model: it knows where the smile is going."""
    return REST + 0.1 * FIELD


@pytest.fixture
def face(emo26):
    with SimFace(emo26, seed=0) as face:
        yield face


def make_loop(face, mode="coexpress", predict=full_smile, inverse=smile_amount, clock=None, **config):
    """A loop of 25 ticks a second whose fake sources give a new frame every tick (unless a test says otherwise)."""
    kwargs = {} if clock is None else {"clock": clock}
    config = {"rate_hz": 25.0, "camera_fps": 25.0, **config}
    return CoexpressionLoop(face, predict, inverse, ROBOT, CommandSet.of(face.spec),
                            LoopConfig(mode=mode, k=1.0, **config), **kwargs)


class FakeClock:
    """Wall-clock seconds that pass only when a test says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_every_tick_goes_through_face_send(face, monkeypatch):
    sent = []
    original = face.send
    monkeypatch.setattr(face, "send", lambda c: sent.append(c) or original(c))
    ticks = make_loop(face).run(Smile())
    assert len(ticks) == 75 and len(sent) == 75
    assert [t.time for t in ticks[:3]] == [0.0, 0.04, 0.08]


def test_a_missed_deadline_sends_the_neutral_pose(face, emo26):
    clock = FakeClock()

    def slow_prediction(frames, rest):
        clock.now += 0.5  # longer than emo26's 0.2 s safety deadline
        return full_smile(frames, rest)

    ticks = make_loop(face, predict=slow_prediction, clock=clock).run(Smile())
    missed = [t for t in ticks if t.missed]
    assert len(missed) == 1 and missed[0].activation is not None
    corner = emo26.index_of("corner_left_y")
    before = ticks[ticks.index(missed[0]) - 1]
    assert abs(missed[0].sent[corner] - emo26.neutral[corner]) <= abs(before.sent[corner] - emo26.neutral[corner])
    assert loop_rate(ticks)["missed_deadline"] == 1


def test_a_command_too_late_for_its_frame_is_not_sent_on_the_ticks_that_read_the_frame_again(face, emo26,
                                                                                                monkeypatch):
    clock, asked = FakeClock(), []

    def slow_prediction(frames, rest):
        clock.now += 0.5  # longer than emo26's 0.2 s safety deadline
        return full_smile(frames, rest)

    send = face.send
    monkeypatch.setattr(face, "send", lambda command: asked.append(np.array(command)) or send(command))
    camera = Camera30()
    ticks = make_loop(face, predict=slow_prediction, clock=clock, rate_hz=50.0, camera_fps=30.0).run(camera)
    asked = asked[-len(ticks):]
    [late] = [k for k, t in enumerate(ticks) if t.missed]
    assert np.allclose(asked[late], emo26.neutral)
    frame = camera.reads[late]
    again = [k for k in range(late + 1, len(ticks)) if camera.reads[k] == frame]
    assert again and all(np.allclose(asked[k], emo26.neutral) for k in again)  # not the late smile


def test_the_rate_the_loop_can_keep_up_counts_the_ticks_that_answer_a_new_frame(face):
    camera = Camera30()
    ticks = make_loop(face, clock=FakeClock(), rate_hz=50.0, camera_fps=30.0).run(camera)
    assert sum(t.fresh for t in ticks) == len(set(camera.reads)) < len(ticks)  # 90 frames in 150 ticks
    # a new frame costs 10 ms of work, a frame read again next to nothing: 100 frames a second, not 160
    ticks = [replace(t, seconds=0.010 if t.fresh else 0.0001) for t in ticks]
    assert loop_rate(ticks)["max_rate_hz"] == pytest.approx(100.0)


def test_a_fast_loop_misses_nothing_and_smiles(face, emo26):
    ticks = make_loop(face, clock=FakeClock()).run(Smile())  # work that takes no time at all
    assert loop_rate(ticks)["missed_deadline"] == 0
    assert ticks[-1].positions[emo26.index_of("corner_left_y")] > 0.8


def test_nan_commands_are_refused_by_the_safety_layer(face, emo26):
    loop = make_loop(face, mode="mimic", inverse=lambda landmarks: np.full(11, np.nan))
    ticks = loop.run(Smile(), seconds=1.0)
    assert face.last_report.rejected
    assert all(np.all(np.isfinite(t.sent)) for t in ticks)


def test_unsafe_commands_are_pulled_back_into_the_safe_set(face, emo26):
    def tear_the_skin(landmarks):
        values = smile_amount(landmarks)
        values[8], values[10] = 1.0, 1.0  # corners fully back with the jaw wide open
        return values

    ticks = make_loop(face, mode="mimic", inverse=tear_the_skin).run(Smile(), seconds=1.0)
    assert "corner_overstretch" in face.last_report.rules
    assert all(face.safety.is_safe(t.sent) for t in ticks)


def test_a_lost_face_holds_still_then_goes_neutral(face, emo26):
    corner = emo26.index_of("corner_left_y")
    ticks = make_loop(face, mode="mimic").run(Smile(gone=[(2.4, 3.0)]))
    at = {round(t.time, 2): t for t in ticks}
    assert at[2.44].sent[corner] == pytest.approx(at[2.36].sent[corner])  # gone for 0.08 s: hold
    assert at[2.96].sent[corner] < at[2.36].sent[corner] - 0.2  # gone past the deadline: back to neutral


def test_coexpression_gets_there_before_mimicry(face, emo26):
    corner = emo26.index_of("corner_left_y")

    def time_to_80_percent(mode):
        with SimFace(emo26, seed=0) as robot:
            ticks = make_loop(robot, mode=mode).run(Smile())
        height = np.array([t.positions[corner] for t in ticks]) - emo26.neutral[corner]
        return ticks[int(np.argmax(height >= 0.8 * height.max()))].time

    coexpress, mimic = time_to_80_percent("coexpress"), time_to_80_percent("mimic")
    # The person is 80% there at 1.54 s and done at 1.8 s; mimicry cannot be ahead of them.
    assert mimic >= 1.54
    assert coexpress < mimic - 0.2


class JitterySmile(Smile):
    """The same smile through a camera whose landmarks jitter (seeded)."""

    def __init__(self):
        super().__init__()
        self.rng = np.random.default_rng(2)

    def read(self, t):
        seen = super().read(t)
        return Observation(seen.landmarks + 0.002 * self.rng.standard_normal(REST.shape), seen.clip)


@pytest.mark.parametrize("mode", ["mimic", "coexpress"])
def test_the_smoother_steadies_the_face_the_robot_shows_in_both_modes(face, emo26, mode):
    """While the person holds the smile (after 2 s), mimicry and coexpression following the person shake less with
    the smoother than showing each jittered frame as it comes."""
    corner = emo26.index_of("corner_right_y")

    def shake(smoothing):
        with SimFace(emo26, seed=0) as robot:
            ticks = make_loop(robot, mode=mode, predict=lambda frames, rest: REST, smoothing=smoothing).run(
                JitterySmile())
        return np.abs(np.diff([t.sent[corner] for t in ticks if t.time > 2.0])).mean()

    assert shake(SmootherConfig()) < 0.5 * shake(SmootherConfig(min_cutoff=math.inf))


def test_bad_configs_are_one_clear_error():
    with pytest.raises(MirrorfaceError, match="mode"):
        LoopConfig(mode="wiggle")
    with pytest.raises(MirrorfaceError, match="rate"):
        LoopConfig(rate_hz=0)
    with pytest.raises(MirrorfaceError, match="lead"):
        LoopConfig(lead_frames=-1)
    with pytest.raises(MirrorfaceError, match="frame rate"):
        LoopConfig(camera_fps=0)


def test_a_loop_faster_than_its_camera_answers_each_frame_once_and_holds_between(face, emo26, monkeypatch):
    camera, fed, asked = Camera30(), [], []
    loop = make_loop(face, rate_hz=50.0, camera_fps=30.0)
    update = loop.tracker.update
    loop.tracker.update = lambda t, landmarks: fed.append(t) or update(t, landmarks)
    send = face.send
    monkeypatch.setattr(face, "send", lambda command: asked.append(np.array(command)) or send(command))
    ticks = loop.run(camera)
    assert len(ticks) == 150 and len(set(camera.reads)) == 90  # 50 ticks a second saw 30 frames a second
    assert len(fed) == 90  # the tracker was fed each frame once, not each tick
    asked = asked[-150:]  # (the warm-up sends nothing; the ticks' commands, before the safety layer)
    pairs = zip(asked, asked[1:], camera.reads[1:], camera.reads, strict=False)
    again = [np.array_equal(b, a) for a, b, frame, previous in pairs if frame == previous]
    assert len(again) == 60 and all(again)  # a tick without a new frame asks for the last command again
    corner = emo26.index_of("corner_right_y")
    assert ticks[-1].sent[corner] > emo26.neutral[corner] + 0.1  # and the robot smiles


def test_a_camera_frozen_on_a_face_has_lost_it_after_the_deadline(face, emo26, monkeypatch):
    """Frames that stop coming (a frozen camera, a file that ended) are not a person holding still: the loop
    holds the last command for the face's deadline (0.2 s), then sends neutral."""
    camera, asked = Camera30(), []
    read = camera.read
    camera.read = lambda t: read(min(t, 1.9))  # the smile is still rising when the frames stop, at 1.9 s
    send = face.send
    monkeypatch.setattr(face, "send", lambda command: asked.append(np.array(command)) or send(command))
    loop = make_loop(face, rate_hz=50.0, camera_fps=30.0)
    ticks = loop.run(camera)
    asked = dict(zip([round(t.time, 2) for t in ticks], asked[-len(ticks):], strict=True))
    corner = emo26.index_of("corner_right_y")
    assert asked[2.0][corner] > emo26.neutral[corner] + 0.1  # held: within the deadline of the last frame (1.9 s)
    assert np.allclose(asked[2.2], emo26.neutral) and np.allclose(asked[2.98], emo26.neutral)


def test_a_realtime_loop_is_paced_by_the_wall_clock(face):
    import time

    started = time.perf_counter()
    ticks = make_loop(face, realtime=True).run(Smile(), seconds=1.0)
    assert len(ticks) == 25
    assert time.perf_counter() - started >= 0.96  # the 25th tick ends no earlier than 1 s after the first began


def test_a_live_loop_whose_model_hangs_is_stopped_by_the_watchdog_at_neutral(face, emo26):
    from mirrorface.runtime.scheduler import WatchdogTripped

    def hanging_prediction(frames, rest):
        time.sleep(30)  # a model that never answers
        return full_smile(frames, rest)

    loop = make_loop(face, predict=hanging_prediction, realtime=True)
    loop.warm_up = lambda: None  # (the warm-up would hang before the loop starts)
    with pytest.raises(WatchdogTripped, match="safe pose"):
        loop.run(Smile(), seconds=3.0)
    assert np.allclose(face.safety.last, emo26.neutral)


def test_an_under_predicted_expression_is_followed_past_the_prediction(face, emo26):
    corner = emo26.index_of("corner_right_y")

    def smaller_smile(frames, rest):
        return REST + 0.08 * FIELD  # 80% of where the person is going; they pass it at 1.56 s

    predicted = smile_amount(smaller_smile(None, REST))[9]
    at = {round(t.time, 2): t.sent[corner] for t in make_loop(face, predict=smaller_smile, lead_frames=0).run(Smile())}
    assert at[1.52] == pytest.approx(predicted, abs=0.02)  # ahead of the person: the prediction
    assert at[2.4] > predicted + 0.05  # the person went further: the robot follows them


def test_following_the_person_the_robot_leads_them(face, emo26):
    """Past an under-prediction the robot shows the person's face ahead of time: with a lead it is further up
    the rising smile than without one, and both settle on the person's face."""
    corner = emo26.index_of("corner_right_y")

    def smaller_smile(frames, rest):
        return REST + 0.05 * FIELD

    def sent(lead):
        return {round(t.time, 2): t.sent[corner]
                for t in make_loop(face, predict=smaller_smile, lead_frames=lead).run(Smile())}

    plain, led = sent(0), sent(1.5)
    assert led[1.6] > plain[1.6] + 0.01  # still rising: ahead
    assert led[2.6] == pytest.approx(plain[2.6], abs=0.01)  # the person holds still: the same face


def test_listening_ticks_until_told_and_resumes_at_the_wall_clocks_time(face):
    from mirrorface.runtime.watchdog import Watchdog

    loop, seen = make_loop(face, realtime=True), []
    source = Smile()
    read = source.read
    source.read = lambda t: seen.append(t) or read(t)
    with Watchdog(face, 1.0) as watchdog:
        assert loop.listen(source, lambda: len(seen) >= 10, watchdog) == 10
        time.sleep(0.5)  # the face does something else (speaks) meanwhile
        assert loop.listen(source, lambda: len(seen) >= 15, watchdog) == 5
    assert np.allclose(np.diff(seen[:10]), 0.04)
    assert seen[10] >= seen[9] + 0.5  # the ticks that passed are skipped: the person is read at their real time
    assert not watchdog.tripped.is_set()


def test_a_live_loop_slower_than_the_watchdogs_deadline_is_refused(face):
    loop = make_loop(face, realtime=True, rate_hz=4)
    with Watchdog(face, 0.2) as watchdog, pytest.raises(MirrorfaceError, match="faster than 5 Hz"):
        loop.pace(MonotonicClock(), watchdog)
    with Watchdog(face, 1.0) as watchdog:  # the watchdog's deadline, not the face spec's, is the limit
        loop.pace(MonotonicClock(), watchdog)
    loop.pace(MonotonicClock())  # offline, nothing watches the wall clock
