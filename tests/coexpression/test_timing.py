"""Robot-against-person timing on a constructed expression and constructed robot ticks."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from mirrorface.coexpression.loop import Tick
from mirrorface.coexpression.selfmodel import CommandSet
from mirrorface.coexpression.sources import SyntheticSource
from mirrorface.coexpression.timing import event_timings, frame_before_ceiling, progress, summarize

PERIOD = 0.04


def video(name="p000-v00"):
    """3 s at 30 fps: rest until 0.95 s, a linear rise to the apex at 2 s, then held.

    The rise crosses 80% at 1.79 s, between frames, so the first frame past it (1.8 s, 81%) is
    unambiguous: the frame before it (1.767 s) is at 78%.
    """
    t = np.arange(90) / 30
    level = np.clip((t - 0.95) / 1.05, 0, 1)
    rest = np.random.default_rng(0).random((113, 2))
    field = np.random.default_rng(1).normal(size=(113, 2))
    return SimpleNamespace(video_id=name, participant="p000", expression="smile", fps=30.0, apex_frame=60,
                           landmarks=(rest + 0.05 * level[:, None, None] * field).astype(np.float32))


def robot_ticks(spec, jump_at, clips=1):
    """The robot rests, then jumps to a smile at `jump_at` seconds into each clip."""
    smile = spec.neutral.copy()
    smile[[spec.index_of("corner_left_y"), spec.index_of("corner_right_y")]] = 0.9
    ticks = []
    for clip in range(clips):
        for k in range(75):
            t = k * PERIOD
            positions = smile if t >= jump_at else spec.neutral
            ticks.append(Tick(clip * 3.0 + t, clip, None, "armed", positions, positions, 0.001, False))
    return ticks


def test_person_and_robot_times(emo26):
    source = SyntheticSource([video()], latency_s=0.0)
    [row] = event_timings(robot_ticks(emo26, jump_at=1.2), source, CommandSet.of(emo26), PERIOD)
    assert row["apex_s"] == 2.0
    assert row["human_80_s"] == pytest.approx(1.8)
    # positions are read at the end of the tick: rest at 1.2 s, the smile at 1.24 s, 80% of the way between them
    assert row["robot_80_s"] == pytest.approx(1.2 + 0.8 * PERIOD)
    summary = summarize([row])
    assert summary["before_apex"] == 1.0 and summary["after_human"] == 0.0
    assert summary["median_lead_s"] == pytest.approx(2.0 - 1.232)


def test_a_robot_that_never_moves_never_gets_there(emo26):
    source = SyntheticSource([video()], latency_s=0.0)
    [row] = event_timings(robot_ticks(emo26, jump_at=99.0), source, CommandSet.of(emo26), PERIOD)
    assert np.isnan(row["robot_80_s"])
    assert summarize([row])["before_apex"] == 0.0 and summarize([row])["after_human"] == 1.0


def test_a_video_the_loop_did_not_finish_is_left_out(emo26):
    source = SyntheticSource([video("a"), video("b")], latency_s=0.0)
    rows = event_timings(robot_ticks(emo26, jump_at=1.2, clips=1), source, CommandSet.of(emo26), PERIOD)
    assert [r["video"] for r in rows] == ["a"]


def test_progress_projects_on_the_direction_of_the_expression():
    start, end = np.zeros(2), np.array([2.0, 0.0])
    values = np.array([[1.0, 5.0], [2.0, -3.0], [0.0, 0.0]])
    np.testing.assert_allclose(progress(values, start, end), [0.5, 1.0, 0.0])


def test_the_source_delays_frames_by_its_latency():
    source = SyntheticSource([video()], latency_s=0.1)
    np.testing.assert_array_equal(source.read(1.5).landmarks, video().landmarks[42])  # captured at 1.4 s
    np.testing.assert_array_equal(source.read(0.05).landmarks, video().landmarks[0])


def test_the_source_numbers_its_frames_so_the_loop_answers_each_once():
    source = SyntheticSource([video(), video("p000-v01")], latency_s=0.0)
    assert source.fps == 30.0 and [source.read(t).frame for t in (0.0, 0.02, 0.034, 1.5)] == [0, 0, 1, 45]
    assert (source.read(3.0).clip, source.read(3.0).frame) == (1, 0)  # a new clip counts from 0 again


def test_the_robot_at_the_apex_is_read_between_the_reads_around_it(emo26):
    """Reads a tick apart: at the apex, which falls between two of them, the robot is where the two put it (the
    nearest read, 10 ms early, would put it 1% of the expression short)."""
    outputs = CommandSet.of(emo26)
    source = SyntheticSource([video()], latency_s=0.0)
    corners = [emo26.index_of("corner_left_y"), emo26.index_of("corner_right_y")]
    ticks = []
    for k in range(75):  # the corners rise steadily from 1.0 s to 3.0 s
        positions = emo26.neutral.copy()
        read = k * PERIOD + 0.07  # a tick at +0.03 s, its positions read a period later: 1.99 s and 2.03 s by the apex
        positions[corners] += np.clip((read - 1.0) / 2.0, 0, 1) * (0.9 - positions[corners])
        ticks.append(Tick(k * PERIOD + 0.03, 0, None, "armed", positions, positions, 0.001, False))
    end = outputs.from_face(ticks[-1].positions)
    [row] = event_timings(ticks, source, outputs, PERIOD, end[None])
    at_apex = outputs.from_face(emo26.neutral) + 0.5 * (end - outputs.from_face(emo26.neutral))  # halfway at 2 s
    size = float(np.abs(end - outputs.from_face(emo26.neutral)).sum())
    assert row["apex_error"] == pytest.approx(float(np.abs(at_apex - end).sum()) / size, abs=1e-6)


def test_against_the_person_a_fifth_of_the_right_smile_is_not_on_time(emo26):
    """Measured against its own held pose, a robot making a small smile early is on time; against the
    commands of the face the person made it is neither close at the apex nor at 80% before it."""
    outputs = CommandSet.of(emo26)
    source = SyntheticSource([video()], latency_s=0.0)
    ticks = robot_ticks(emo26, jump_at=1.2)  # the robot's smile: both corners at 0.9
    full = outputs.from_face(ticks[-1].positions)
    [row] = event_timings(ticks, source, outputs, PERIOD, full[None])
    assert row["apex_error"] == pytest.approx(0.0, abs=1e-6) and row["robot_80_person_s"] == pytest.approx(1.232)
    rest = outputs.from_face(emo26.neutral)
    bigger = rest + 5 * (full - rest)  # the person made a smile five times the robot's
    [small] = event_timings(ticks, source, outputs, PERIOD, bigger[None])
    assert small["apex_error"] == pytest.approx(0.8, abs=1e-3) and np.isnan(small["robot_80_person_s"])
    summary = summarize([row, small])
    assert summary["before_apex"] == 1.0  # the robot's own view: on time both times
    assert summary["within_20_at_apex"] == summary["at_80_before_apex"] == summary["both"] == 0.5


def test_the_frame_before_ceiling_counts_faces_within_20_percent_of_the_apex():
    calm = np.zeros((4, 3))
    apex = np.array([[1.0, 0, 0], [1.0, 0, 0], [1.0, 0, 0], [0.05, 0, 0]])  # the last barely moves: not scored
    before = np.array([[0.9, 0, 0], [0.7, 0, 0], [1.0, 0.15, 0], [0.0, 0, 0]])  # errors 0.1, 0.3, 0.15
    assert frame_before_ceiling(before, apex, calm) == pytest.approx(2 / 3)


def test_hold_jitter_is_how_much_the_sent_commands_shake_while_the_person_holds_the_apex(emo26):
    outputs = CommandSet.of(emo26)
    source = SyntheticSource([video()], latency_s=0.0)
    steady = robot_ticks(emo26, jump_at=1.2)
    corner = emo26.index_of("corner_left_y")
    shaky = [replace(t, sent=t.sent + (0.05 * (k % 2) if t.time >= 2.0 else 0.0) * np.eye(len(t.sent))[corner])
             for k, t in enumerate(steady)]  # after the apex, one corner flips by 0.05 every tick
    [still] = event_timings(steady, source, outputs, PERIOD)
    [shaking] = event_timings(shaky, source, outputs, PERIOD)
    assert still["hold_jitter"] == 0.0
    # corner_y (the mean of the two corners) moves 0.025 every tick: 0.625 a second at 25 ticks a second
    assert shaking["hold_jitter"] == pytest.approx(0.05 / 2 / PERIOD, rel=1e-5)
    assert summarize([still, shaking])["median_hold_jitter"] == pytest.approx(0.05 / 4 / PERIOD, rel=1e-5)


def test_hold_jitter_starts_when_the_loop_sees_the_apex_not_when_the_person_makes_it(emo26):
    outputs = CommandSet.of(emo26)
    steady = robot_ticks(emo26, jump_at=1.2)
    corner = emo26.index_of("corner_left_y")
    # the corner shakes only in the 0.2 s after the apex (2.0 s), before a camera 0.2 s late shows it to the loop
    shaky = [replace(t, sent=t.sent + (0.05 * (k % 2) if 2.0 <= t.time < 2.15 else 0.0) * np.eye(len(t.sent))[corner])
             for k, t in enumerate(steady)]
    [prompt] = event_timings(shaky, SyntheticSource([video()], latency_s=0.0), outputs, PERIOD)
    [late] = event_timings(shaky, SyntheticSource([video()], latency_s=0.2), outputs, PERIOD)
    assert prompt["hold_jitter"] > 0.0
    assert late["hold_jitter"] == 0.0
