"""The one safety layer: every command on its way to a face, simulated or real, passes here.

In order, it
1. rejects a command with NaN or infinity (the previous safe command is kept),
2. pulls a command that breaks a spec rule (e.g. a skin-tearing combination) back towards the
   neutral pose until every rule holds,
3. clamps each actuator to its range,
4. limits each actuator's change per tick to its speed limit times the tick length (all
   actuators together by the same fraction where limiting each alone would break a rule).
Steps 2-4 keep the result inside the safe set: rules are linear and hold at neutral, so the set
they allow is convex and contains both the previous command and the neutral pose.
It returns the command actually sent and what it changed, so datasets record the truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from mirrorface.errors import SafetyError
from mirrorface.face.spec import FaceSpec

_RULE_TOL = 1e-9


@dataclass
class SafetyReport:
    """What the safety layer did to one command."""

    clamped: list[str] = field(default_factory=list)  # actuators moved back into range
    rate_limited: list[str] = field(default_factory=list)  # actuators slowed to their speed limit
    rules: list[str] = field(default_factory=list)  # spec rules the raw command broke
    rejected: bool = False  # the command held NaN/inf and was replaced by the previous one

    @property
    def modified(self) -> bool:
        return bool(self.clamped or self.rate_limited or self.rules or self.rejected)


class SafetyLayer:
    """Stateful filter between whatever produces commands and the face.

    Args:
        spec: the face, for ranges, speed limits and rules.
        start: the command the face is at now (defaults to the neutral pose).
    """

    def __init__(self, spec: FaceSpec, start: np.ndarray | None = None):
        self.spec = spec
        self._lower, self._upper = spec.lower, spec.upper
        self._speed = spec.speed
        self._neutral = spec.neutral
        self._rules = [
            (rule.name, np.array([rule.weights.get(n, 0.0) for n in spec.names]), rule.max)
            for rule in spec.safety.rules
        ]
        self.last = self._start_at(start)

    def violated_rules(self, command: np.ndarray) -> list[str]:
        return [name for name, w, limit in self._rules if w @ command > limit + _RULE_TOL]

    def is_safe(self, command: np.ndarray) -> bool:
        """Inside every range and every rule (speed limits aside)."""
        command = np.asarray(command, float)
        in_range = np.all(command >= self._lower - 1e-12) and np.all(command <= self._upper + 1e-12)
        return bool(np.all(np.isfinite(command)) and in_range and not self.violated_rules(command))

    def project(self, command: np.ndarray) -> np.ndarray:
        """The nearest-to-intent safe command: clamp, then shrink towards neutral past any rule."""
        command = np.clip(command, self._lower, self._upper)
        scale = 1.0
        delta = command - self._neutral
        for _, w, limit in self._rules:
            excess = w @ command - limit
            if excess > 0:
                # Along neutral + s * delta the rule value is linear in s and holds at s = 0.
                slope = w @ delta
                scale = min(scale, (limit - w @ self._neutral) / slope)
        return self._neutral + max(scale, 0.0) * delta if scale < 1.0 else command

    def __call__(self, command: np.ndarray, dt: float) -> tuple[np.ndarray, SafetyReport]:
        """Filter one command for a tick of `dt` seconds; returns (sent, report)."""
        report = SafetyReport()
        command = self._checked(command)
        if not math.isfinite(dt):
            # A NaN tick would make every later command NaN; infinity would lift the rate limit.
            raise SafetyError(f"the tick length must be a finite number of seconds, got {dt}")
        if not np.all(np.isfinite(command)):
            report.rejected = True
            return self.last.copy(), report
        names = self.spec.names
        report.rules = self.violated_rules(np.clip(command, self._lower, self._upper))
        outside = (command < self._lower) | (command > self._upper)
        report.clamped = [names[i] for i in np.flatnonzero(outside)]
        target = self.project(command)
        step = self._speed * max(dt, 0.0)
        limited = np.clip(target, self.last - step, self.last + step)
        if self.violated_rules(limited):
            # Per-actuator limiting can leave the convex safe set; moving the same fraction of
            # the way along the segment from the last (safe) command to the target cannot.
            delta = np.abs(target - self.last)
            frac = np.min(np.where(delta > step, step / np.maximum(delta, 1e-12), 1.0))
            limited = self.last + frac * (target - self.last)
        report.rate_limited = [names[i] for i in np.flatnonzero(np.abs(limited - target) > 1e-12)]
        self.last = limited
        return limited.copy(), report

    def reset(self, command: np.ndarray | None = None) -> None:
        """Forget the history (after a reconnect): the face is now at `command` or neutral."""
        self.last = self._start_at(command)

    def _checked(self, command: np.ndarray) -> np.ndarray:
        command = np.asarray(command, dtype=float)
        if command.shape != (self.spec.n,):
            raise SafetyError(
                f"face {self.spec.name!r} takes {self.spec.n} commands, got shape {command.shape}"
            )
        return command

    def _start_at(self, command: np.ndarray | None) -> np.ndarray:
        # The starting pose is the reference for every later step: it must be a safe, finite pose.
        if command is None:
            return self._neutral.copy()
        command = self._checked(command)
        if not np.all(np.isfinite(command)):
            raise SafetyError(f"face {self.spec.name!r} cannot start from a non-finite command")
        return self.project(command)
