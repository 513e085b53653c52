"""How early the robot's face gets there: robot against human timing, one expression at a time.

Progress towards an expression is measured the same way for the person and for the robot: the
displacement from where the face started, projected on the displacement of the finished
expression, so that 0 is the start and 1 the expression (jitter across it does not count).
- person: landmarks from their resting face (the first 5 frames) towards the apex frame (the
  generator's apex, exact);
- robot: measured actuator positions (expression commands) from where the robot was early in the
  clip, before anything happened, towards its mean position over the half second after the apex.
An event's time is when progress first reaches 80%. A robot whose expression moves it less than
`MIN_DISPLACEMENT` (L1 over the normalized expression commands) made none: its time is NaN.

Measured against its own held pose, a robot that makes a fifth of the right expression early is
"on time". So the robot is also measured against the face the person actually made (issue 17):
the apex commands are the inverse model's commands for the person's apex face (brought onto the
robot; for generated people the noise-free face, `ExpressionVideo.clean`, not the camera's jittered
frame), and at the person's apex the robot should be within `APEX_TOLERANCE` of them (L1 error
over L1 size of the expression, both from where the robot started) and have reached 80% of the
way towards them (projected, as above) before the apex.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mirrorface.coexpression.loop import Tick
from mirrorface.coexpression.selfmodel import CommandSet
from mirrorface.coexpression.sources import SyntheticSource

FRACTION = 0.8
BASELINE_S = (0.2, 0.4)  # clip time over which the robot's starting pose is averaged (the person still rests)
HOLD_S = 0.5  # the robot's expression: its mean pose over this long after the apex
MIN_DISPLACEMENT = 0.1
APEX_TOLERANCE = 0.2


def progress(values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(T, ...) values -> (T,) fraction of the way from `start` to `end`, projected on that direction."""
    direction = (end - start).ravel()
    return (values - start).reshape(len(values), -1) @ direction / max(float(direction @ direction), 1e-12)


def _first(times: np.ndarray, reached: np.ndarray) -> float:
    return float(times[np.argmax(reached)]) if reached.any() else float("nan")


def _crossing(times: np.ndarray, values: np.ndarray, level: float = FRACTION) -> float:
    """When `values` first reach `level`, between the two reads around it (reads a tick apart: the first read
    past it would be up to a tick late, by how much depending on the loop's rate); NaN if never."""
    reached = values >= level
    if not reached.any():
        return float("nan")
    i = int(np.argmax(reached))
    if i == 0:
        return float(times[0])
    return float(np.interp(level, values[i - 1:i + 1], times[i - 1:i + 1]))


class RobotTrack(NamedTuple):
    """The robot over clip `clip`: when each position was read (s from the clip's start), its expression commands
    then (T, C), and where it started (C,), their mean over `BASELINE_S`."""

    clip: int
    times: np.ndarray
    pose: np.ndarray
    start: np.ndarray


def robot_track(ticks: list[Tick], source: SyntheticSource, outputs: CommandSet, period: float, clip: int,
                ) -> RobotTrack:
    """The robot's `RobotTrack` over one clip of a loop run (`ticks`), read from the positions it reached."""
    mine = [t for t in ticks if t.clip == clip]
    times = np.array([t.time for t in mine]) - source.starts[clip] + period  # positions are read after a tick
    pose = outputs.from_face(np.array([t.positions for t in mine]))
    return RobotTrack(clip, times, pose, pose[(times >= BASELINE_S[0]) & (times <= BASELINE_S[1])].mean(0))


def clip_progress(track: RobotTrack, source: SyntheticSource,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(person's times, their progress, robot's times, its progress or None if it made no expression)."""
    video = source.videos[track.clip]
    apex = video.apex_frame / video.fps
    human = progress(video.landmarks, video.landmarks[:5].mean(0), video.landmarks[video.apex_frame])
    times, pose, start = track.times, track.pose, track.start
    held = (times >= apex) & (times <= apex + HOLD_S)
    if not held.any() or np.abs(pose[held].mean(0) - start).sum() < MIN_DISPLACEMENT:
        return np.arange(len(human)) / video.fps, human, times, None
    return np.arange(len(human)) / video.fps, human, times, progress(pose, start, pose[held].mean(0))


def against_person(track: RobotTrack, source: SyntheticSource, apex_commands: np.ndarray) -> dict:
    """The robot against the person's apex commands (C,): its error at the apex relative to the expression's
    size, and when it first got 80% of the way there (s from the clip's start; NaN if never)."""
    video = source.videos[track.clip]
    apex = video.apex_frame / video.fps
    times, pose, start = track.times, track.pose, track.start
    size = float(np.abs(apex_commands - start).sum())
    if size < MIN_DISPLACEMENT:  # the person's expression barely moves the robot: nothing to be on time for
        return {"apex_size": size, "apex_error": float("nan"), "robot_80_person_s": float("nan")}
    # the robot's pose at the apex itself, between the reads around it (a tick apart: the nearest read would
    # put the robot up to half a tick early or late, by how much depending on the loop's rate)
    at_apex = np.array([np.interp(apex, times, column) for column in pose.T])
    after = times > BASELINE_S[1]
    toward = progress(pose, start, apex_commands)
    return {"apex_size": size, "apex_error": float(np.abs(at_apex - apex_commands).sum()) / size,
            "robot_80_person_s": _crossing(times[after], toward[after])}


def hold_jitter(ticks: list[Tick], source: SyntheticSource, outputs: CommandSet, clip: int) -> float:
    """How much the robot's commands shake while the person holds the apex (the `HOLD_S` after it, where the face
    relaxes by a few percent at most): the L1 distance the sent expression commands travel a second, whatever the
    loop's rate."""
    video = source.videos[clip]
    seen = source.starts[clip] + video.apex_frame / video.fps + source.latency_s  # the loop sees the apex this late
    held = [t for t in ticks if t.clip == clip and seen <= t.time <= seen + HOLD_S]
    if len(held) < 2:
        return float("nan")
    travel = np.abs(np.diff(outputs.from_face(np.array([t.sent for t in held])), axis=0)).sum()
    return float(travel / (held[-1].time - held[0].time))


def finished_tracks(ticks: list[Tick], source: SyntheticSource, outputs: CommandSet, period: float,
                    ) -> list[RobotTrack]:
    """`robot_track` of each video the loop saw to its end."""
    return [robot_track(ticks, source, outputs, period, clip) for clip in range(len(source.videos))
            if ticks and ticks[-1].time >= source.starts[clip + 1] - 2 * period]


def track_timings(ticks: list[Tick], source: SyntheticSource, outputs: CommandSet, tracks: list[RobotTrack],
                  ) -> list[dict]:
    """One row per track: apex, the person's and the robot's 80% times and the detection (s from the video's
    start), and `hold_jitter`; what does not depend on a reference for the person's face."""
    rows = []
    for track in tracks:
        video = source.videos[track.clip]
        frames, human, times, robot = clip_progress(track, source)
        after = times > BASELINE_S[1]
        detected = [t.activation.time for t in ticks if t.clip == track.clip and t.activation is not None]
        rows.append({"video": video.video_id, "participant": video.participant, "expression": video.expression,
                     "apex_s": video.apex_frame / video.fps, "human_80_s": _first(frames, human >= FRACTION),
                     "robot_80_s": float("nan") if robot is None else _crossing(times[after], robot[after]),
                     "detected_s": detected[0] - source.starts[track.clip] if detected else float("nan"),
                     "hold_jitter": hold_jitter(ticks, source, outputs, track.clip)})
    return rows


def against_reference(rows: list[dict], tracks: list[RobotTrack], source: SyntheticSource,
                      apex_commands: np.ndarray) -> list[dict]:
    """`track_timings`' rows with `against_person`'s figures against `apex_commands` (V, C) added."""
    return [{**row, **against_person(track, source, apex_commands[track.clip])}
            for row, track in zip(rows, tracks, strict=True)]


def event_timings(ticks: list[Tick], source: SyntheticSource, outputs: CommandSet, period: float,
                  apex_commands: np.ndarray | None = None) -> list[dict]:
    """One row per video the loop saw to its end (`track_timings`); with `apex_commands` (V, C), also
    `against_person`. Against several references, make the tracks and rows once and call
    `against_reference` for each."""
    tracks = finished_tracks(ticks, source, outputs, period)
    rows = track_timings(ticks, source, outputs, tracks)
    return rows if apex_commands is None else against_reference(rows, tracks, source, apex_commands)


def frame_before_ceiling(before: np.ndarray, apex_commands: np.ndarray, calm: np.ndarray) -> float:
    """A ceiling for "within 20% at the apex": the share of expressions whose commands for the person's own face
    one frame before the apex (no delay, no servos) are within `APEX_TOLERANCE` of the apex commands, the size
    measured from the commands for their resting face; all (V, C). What keeps it below 1: the face's own
    change over that frame, and, for a camera's frame, its jitter carried through the inverse model."""
    size = np.abs(apex_commands - calm).sum(-1)
    scored = size >= MIN_DISPLACEMENT
    error = np.abs(before - apex_commands).sum(-1)[scored] / size[scored]
    return float(np.mean(error <= APEX_TOLERANCE)) if scored.any() else float("nan")


def summarize_person(rows: list[dict]) -> dict:
    """Rows with `against_person`'s figures -> the share of expressions within `APEX_TOLERANCE` of the apex
    commands at the apex, at 80% of the way before it, and both."""
    apex, error, there = (np.array([r[k] for r in rows], float) for k in ("apex_s", "apex_error", "robot_80_person_s"))
    scored = np.isfinite(error)  # expressions that move the robot at all
    if not scored.any():
        return {"person_scored": 0, **dict.fromkeys(("within_20_at_apex", "at_80_before_apex", "both",
                                                      "median_apex_error"), float("nan"))}
    close, early = scored & (error <= APEX_TOLERANCE), np.isfinite(there) & (there < apex)
    return {"person_scored": int(scored.sum()), "within_20_at_apex": float(close[scored].mean()),
            "at_80_before_apex": float(early[scored].mean()), "both": float((close & early)[scored].mean()),
            "median_apex_error": float(np.median(error[scored]))}


def summarize(rows: list[dict]) -> dict:
    """Share of events where the robot got there before the apex, or after the person; median leads (s); with
    `against_person`'s figures in the rows, also `summarize_person`."""
    robot, apex, human = (np.array([r[k] for r in rows], float) for k in ("robot_80_s", "apex_s", "human_80_s"))
    reached = np.isfinite(robot)
    some = reached.any()
    person = summarize_person(rows) if rows and "apex_error" in rows[0] else {}
    return {**person,
        "events": len(rows),
        "reached": int(reached.sum()),
        "before_apex": float(np.mean(reached & (robot < apex))) if rows else float("nan"),
        "after_human": float(np.mean(~reached | (robot > human))) if rows else float("nan"),
        "median_lead_s": float(np.median((apex - robot)[reached])) if some else float("nan"),
        "median_lag_vs_human_s": float(np.median((robot - human)[reached])) if some else float("nan"),
        "median_hold_jitter": float(np.nanmedian([r["hold_jitter"] for r in rows])) if rows else float("nan"),
    }
