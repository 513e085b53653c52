"""The coexpression loop: a person in front of the robot, the robot's face answering, at 50 Hz.

Each tick (every 1 / rate_hz seconds), when the camera has delivered a new frame:
    source -> the person's landmarks -> the expression tracker (resting face, peak activation)
    -> the target face: predicted from 4 frames at the peak activation (coexpress), or the face
       the person shows now, smoothed (mimic) -> human -> robot normalisation (eqs. 1-2) -> inverse model
    -> Face.send (the safety layer) -> the face moves for one tick.
A tick that finds no new frame sends the last command again: perception runs at the camera's rate
(`camera_fps`; the tracker's window, the smoother's filter and the lead count camera frames), the
servos are driven at the loop's, so a new frame reaches them within 1 / rate_hz instead of waiting
for a slower tick (the paper's loop ran at 25 Hz; on validation people 50 Hz put the robot nearer the
person's apex face, docs/coexpression.md).
In coexpress mode the robot holds its predicted face until the person's expression starts to
relax, then follows the person back to rest; should the person's face go further from rest than
the prediction (`peak.activation_distance`), the robot shows the person's face instead: an
under-predicted expression costs the delay of mimicry, not the rest of the expression. Following
the person, it shows their face `lead_frames` camera frames ahead, moved on at its recent velocity.
The faces it shows of the person are smoothed (`smoothing`, a One Euro filter): the camera's jitter,
carried through the inverse model, would move the robot's commands by as much as a subtle smile does.
Everything that reaches the face goes through `Face.send`. A tick whose work takes longer than
the deadline (the face spec's `safety.deadline_s` by default), or that has seen no face for that
long, sends the neutral pose instead: a late command answers a face the person no longer shows.

Ticks are paced by the runtime's scheduler: offline on the face's own clock (the simulator steps
one period per tick, as fast as the work allows), live on the wall clock (the simulator is
stepped by the time that really passed; a real face is never told to sleep), under the watchdog,
which sends the face to its safe pose if a tick stalls past the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mirrorface.coexpression.normalize import RobotRange, to_robot
from mirrorface.coexpression.peak import activation_distance
from mirrorface.coexpression.selfmodel import CommandSet
from mirrorface.coexpression.smoothing import FaceSmoother, SmootherConfig
from mirrorface.coexpression.tracker import Activation, ExpressionTracker, TrackerConfig
from mirrorface.errors import MirrorfaceError
from mirrorface.hardware.face import Face
from mirrorface.runtime.clock import Clock, MonotonicClock, VirtualClock
from mirrorface.runtime.scheduler import Scheduler
from mirrorface.runtime.watchdog import Watchdog

MODES = ("coexpress", "mimic")


@dataclass(frozen=True)
class LoopConfig:
    mode: str = "coexpress"
    rate_hz: float = 50.0  # ticks a second: commands sent to the face
    camera_fps: float = 30.0  # frames a second the person's camera delivers (synthetic people, most webcams)
    deadline_s: float | None = None  # None: the face spec's safety.deadline_s
    k: float = 1.0  # the normalisation's scale K
    # Coexpress mode, following the person: their face this many camera frames ahead (`FaceSmoother.ahead`;
    # 60 ms at 30 fps), so that the robot, behind the person by the camera's delay and its servos', reaches
    # the face in time.
    lead_frames: float = 1.8
    # The faces the robot shows of the person (mimic mode, and coexpress mode following them) are smoothed, the
    # camera's jitter filtered out; the tracker and the predictive model read the camera's frames, as they were
    # trained and tuned to. `SmootherConfig(min_cutoff=math.inf)` shows the frames as they come.
    smoothing: SmootherConfig = field(default_factory=SmootherConfig)
    realtime: bool = False  # pace ticks by the wall clock (a live camera); else as fast as the work allows
    tracker: TrackerConfig = field(default_factory=TrackerConfig)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise MirrorfaceError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if not self.rate_hz > 0:
            raise MirrorfaceError(f"the loop rate must be positive, got {self.rate_hz}")
        if not self.camera_fps > 0:
            raise MirrorfaceError(f"the camera's frame rate must be positive, got {self.camera_fps}")
        if self.lead_frames < 0:
            raise MirrorfaceError(f"the lead must be 0 or more frames, got {self.lead_frames}")


@dataclass(frozen=True)
class Tick:
    """What one tick saw and did."""

    time: float  # loop time (s)
    clip: int
    landmarks: np.ndarray | None  # the person's (113, 2), None without a face
    state: str  # the tracker's state
    sent: np.ndarray  # the command that reached the face, after the safety layer
    positions: np.ndarray  # the face's measured positions at the end of the tick
    seconds: float  # wall-clock work of the tick (observe, predict, infer, send)
    missed: bool  # the deadline passed: neutral was sent instead
    activation: Activation | None = None
    fresh: bool = True  # it read a frame no earlier tick had (a tick that reads it again only resends)


class CoexpressionLoop:
    """Runs one face against one source.

    Args:
        predict: (4, 113, 2) frames ending at the peak activation, (113, 2) the person's resting face
            -> (113, 2) target landmarks.
        inverse: (113, 2) robot-space landmarks -> (len(outputs),) commands.
        robot: the robot's resting landmarks and range, for the normalisation.
        clock: wall-clock seconds, for the deadline (injectable for tests).
    """

    def __init__(self, face: Face, predict: Callable[[np.ndarray], np.ndarray],
                 inverse: Callable[[np.ndarray], np.ndarray], robot: RobotRange, outputs: CommandSet,
                 config: LoopConfig | None = None, clock: Callable[[], float] = time.perf_counter):
        self.face, self.predict, self.inverse, self.robot, self.outputs = face, predict, inverse, robot, outputs
        self.config = config or LoopConfig()
        self.clock = clock
        self.deadline = self.config.deadline_s or face.spec.safety.deadline_s
        # a loop slower than its camera sees a frame a tick: the tracker and the smoother count what they are fed
        self.fed_hz = min(self.config.rate_hz, self.config.camera_fps)
        self.tracker = ExpressionTracker(self.config.tracker, self.fed_hz)
        self.smoother = FaceSmoother(self.config.smoothing, self.fed_hz)
        self._clip: int | None = None
        self._frame: int | None = None  # the camera frame the last command answered
        self._command = self.face.spec.neutral
        self._target: np.ndarray | None = None  # the predicted face command, while an expression lasts
        self._reach = 0.0  # the predicted face's activation distance from rest
        self._last_seen = 0.0
        self.scheduler: Scheduler | None = None  # `run` paces the ticks: on the face's clock, or live

    def warm_up(self) -> None:
        """Run both models once on the robot's resting face: a model's first call allocates, and a
        real-time loop should not spend that time in the tick of a person's first expression."""
        rest = self.robot.rest
        self.command_for(self.predict(np.stack([rest] * 4), rest), rest)

    def command_for(self, landmarks: np.ndarray, rest: np.ndarray) -> np.ndarray:
        """A face command for the person's landmarks, given their resting face."""
        robot_landmarks = to_robot(landmarks, rest, self.robot, self.config.k)
        return self.outputs.to_face(self.inverse(robot_landmarks), self.face.spec)

    def _decide(self, t: float, landmarks: np.ndarray) -> tuple[np.ndarray, Activation | None]:
        activation = self.tracker.update(t, landmarks)
        shown = self.smoother(landmarks)
        rest = self.tracker.rest
        neutral = self.face.spec.neutral
        if rest is None:
            return neutral, None
        if self.config.mode == "mimic":
            return self.command_for(shown, rest), activation
        if activation is not None:
            predicted = self.predict(activation.frames, activation.rest)
            self._target = self.command_for(predicted, activation.rest)
            self._reach = float(activation_distance(predicted, activation.rest))
        if self.tracker.state != "active":
            self._target = None
        else:
            ahead = self.smoother.ahead(self.config.lead_frames * self.fed_hz / self.config.camera_fps)  # same time
            if self.tracker.relaxing or float(activation_distance(ahead, rest)) > self._reach:
                return self.command_for(ahead, rest), activation
        return (neutral if self._target is None else self._target), activation

    def pace(self, clock: Clock, watchdog: Watchdog | None = None,
             on_sent: Callable[[float, np.ndarray], None] | None = None) -> None:
        """Tick on `clock` from now on: `run` does this; a caller that ticks the loop itself (the
        studio, one tick per browser frame) calls it once before its first `step`."""
        if watchdog is not None and 1.0 / self.config.rate_hz >= watchdog.deadline_s:  # it would trip between ticks
            raise MirrorfaceError(f"a live loop at {self.config.rate_hz:g} Hz sends a command every "
                                  f"{1e3 / self.config.rate_hz:.0f} ms, not within the watchdog's deadline "
                                  f"({watchdog.deadline_s * 1e3:.0f} ms): run it faster than "
                                  f"{1 / watchdog.deadline_s:g} Hz")
        self.scheduler = Scheduler(self.face, clock, stale_s=math.inf, watchdog=watchdog, on_sent=on_sent)

    def step(self, t: float, source) -> Tick:
        """One tick at loop time t: observe, decide, send through the safety layer, let the face move."""
        self.scheduler.wait(t)  # the tick's start (late ticks still run: the deadline below judges them)
        started = self.clock()
        observation = source.read(t)
        if observation.clip != self._clip:  # a new person or recording: relearn the resting face
            self._clip, self._target, self._frame = observation.clip, None, None
            self.tracker.reset()
            self.smoother.reset()
            self._last_seen = t
        activation = None
        command = self.face.spec.neutral
        new = observation.frame is None or observation.frame != self._frame  # else nothing new to answer
        if observation.landmarks is not None and new:
            if t - self._last_seen > self.deadline:  # the face comes back: its jump is no movement to smooth or lead
                self.smoother.reset()
            self._last_seen = t  # only a new frame counts: a camera that froze on a face has lost it
            self._command, activation = self._decide(t, observation.landmarks)
            self._frame = observation.frame
            command = self._command
        elif t - self._last_seen <= self.deadline:  # the same frame, or a face lost for a moment: hold still
            command = self._command if observation.landmarks is not None else self.face.safety.last
        seconds = self.clock() - started
        missed = seconds > self.deadline
        if missed:  # too late for this frame's face, now and on the ticks that read the frame again
            self._command = self.face.spec.neutral
        sent = self.scheduler.send(self.face.spec.neutral if missed else command)
        self.scheduler.finish(t + 1.0 / self.config.rate_hz)  # the face moves for the rest of the tick
        return Tick(t, observation.clip, observation.landmarks, self.tracker.state, sent,
                    self.face.read_positions(), seconds, missed, activation, new)

    def run(self, source, seconds: float | None = None, on_tick: Callable[[Tick], None] | None = None,
            ) -> list[Tick]:
        """Tick until the source ends (or `seconds` have passed); returns every tick."""
        duration = source.duration if seconds is None else seconds
        if not np.isfinite(duration):
            raise MirrorfaceError("a live source needs a duration (seconds)")
        self.warm_up()
        if not self.config.realtime:  # ticks on the face's own clock, from its time now
            self.pace(VirtualClock(self.face))
            return self._ticks(source, duration, on_tick)
        # Live: a stalled tick (a model that hangs) is the watchdog's; it interrupts this thread.
        with Watchdog(self.face, self.deadline, interrupt_main=True) as watchdog:
            self.pace(MonotonicClock(), watchdog)
            watchdog.arm()
            try:
                return self._ticks(source, duration, on_tick)
            finally:
                watchdog.disarm()

    def listen(self, source, until: Callable[[], bool], watchdog: Watchdog,
               on_sent: Callable[[float, np.ndarray], None] | None = None) -> int:
        """Tick live on the wall clock until `until()` holds (a conversation: the person has said
        something, the face must answer); returns the ticks run.

        Resumable: the first call starts the loop's time, later ones go on from the wall clock's
        time, skipping the ticks that passed while the face did something else (it spoke), so the
        person's source is read at its real time. The caller's watchdog guards the ticks.
        """
        if self.scheduler is None:
            self.warm_up()
            self.pace(MonotonicClock(), watchdog, on_sent)
        period = 1.0 / self.config.rate_hz
        first = k = math.ceil(self.scheduler.clock.now() / period)
        watchdog.arm()
        try:
            while not until():
                self.step(k * period, source)
                k += 1
        finally:
            watchdog.disarm()
        return k - first

    def _ticks(self, source, duration: float, on_tick: Callable[[Tick], None] | None) -> list[Tick]:
        ticks = []
        for k in range(int(duration * self.config.rate_hz)):
            ticks.append(self.step(k / self.config.rate_hz, source))
            if on_tick is not None:
                on_tick(ticks[-1])
        return ticks


def loop_rate(ticks: list[Tick]) -> dict:
    """How fast the loop's work ran: work per tick, the most new frames a second it could answer,
    late ticks and missed deadlines.

    `max_rate_hz` counts the ticks that read a new frame only: a loop faster than its camera reads
    each frame again and only resends, and those cheap ticks would flatter the rate it can keep up.
    """
    work = np.array([t.seconds for t in ticks])
    answered = np.array([t.seconds for t in ticks if t.fresh]) if any(t.fresh for t in ticks) else work
    period = ticks[1].time - ticks[0].time if len(ticks) > 1 else float("nan")
    return {"ticks": len(ticks), "work_ms_mean": float(work.mean() * 1e3),
            "work_ms_p99": float(np.quantile(work, 0.99) * 1e3),
            "max_rate_hz": float(1.0 / max(answered.mean(), 1e-9)),
            "late": int(np.sum(work > period)),
            "missed_deadline": int(sum(t.missed for t in ticks))}
