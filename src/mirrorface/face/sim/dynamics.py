"""Simulated servo dynamics: what a hobby or robotics servo does with a position target.

Each actuator has (in normalized units)
- a first-order lag (time constant `lag_s`): the motor eases into its target,
- a speed limit (the spec's `speed`): the motor never moves faster than that,
- backlash (`backlash`): the output shaft only follows the motor once the gear slack is taken up,
  so a reversal leaves a dead band.
The measured position is the output shaft. Integrated with fixed sub-steps so that results do
not depend on how callers slice time.
"""

from __future__ import annotations

import numpy as np

SUBSTEP_S = 1.0 / 300.0  # fine enough for a 35 ms lag; 10 sub-steps per 30 fps frame


class ServoDynamics:
    def __init__(self, start: np.ndarray, speed: np.ndarray, lag_s: float, backlash: float):
        self.motor = np.asarray(start, float).copy()
        self.output = self.motor.copy()
        self.target = self.motor.copy()
        self.speed = np.asarray(speed, float)
        self.lag_s = lag_s
        self.half_backlash = backlash / 2.0

    def advance(self, seconds: float) -> None:
        """Let `seconds` of time pass, moving towards the current target."""
        n = int(np.ceil(max(seconds, 0.0) / SUBSTEP_S - 1e-9))
        if n == 0:
            return
        dt = seconds / n
        alpha = 1.0 - np.exp(-dt / self.lag_s) if self.lag_s > 0 else 1.0
        for _ in range(n):
            step = np.clip(alpha * (self.target - self.motor), -self.speed * dt, self.speed * dt)
            self.motor += step
            self.output = np.clip(self.output, self.motor - self.half_backlash,
                                  self.motor + self.half_backlash)

    def settle_time(self, tolerance: float = 0.002) -> float:
        """A generous bound on the seconds needed to come within `tolerance` of the target."""
        distance = np.abs(self.target - self.motor)
        travel = float(np.max(distance / self.speed))
        return travel + self.lag_s * float(np.log(max(np.max(distance), tolerance) / tolerance))
