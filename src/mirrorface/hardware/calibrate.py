"""Measuring a calibration with the builder, one actuator at a time (`mirrorface calibrate`).

For each actuator the builder shows three places: the end where its command is 0, the end where
it is 1 (their order gives the direction: a servo mounted the other way round just measures a
smaller raw value at 1) and its neutral pose. Where the bus can both switch torque off and
measure the servo (Dynamixel, Feetech), the builder moves the actuator by hand and the bus reads
where it is. Where it cannot (Maestro, PCA9685: hobby servos report nothing), the builder nudges
the servo in small steps until it sits at the place; the actuators not yet measured stay where
they are (on a pulse bus, ones that send no pulses keep sending none), and each measured one is
parked at its neutral.

The questions go through `ask` (a prompt in, the answer out; EOFError when there are no more),
so the library never reads the terminal itself. Nothing here touches the spec: the spec's
normalized range keeps bounding every command, so a calibration cannot widen what the safety
layer allows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import ValidationError

from mirrorface.errors import MirrorfaceError
from mirrorface.hardware.bus import MotorBus
from mirrorface.hardware.calibration import ActuatorCalibration, Calibration

Ask = Callable[[str], str]
Tell = Callable[[str], None]

#: The places measured per actuator: the calibration field and how the builder is asked for it.
PLACES = (("raw_at_0", "the end where its command is 0"),
          ("raw_at_1", "the end where its command is 1"),
          ("raw_neutral", "its neutral (resting) pose"))
STOP = {"q", "quit"}


class CalibrationStopped(MirrorfaceError):
    """The builder stopped, or the answers ran out: nothing is written."""


def _answer(ask: Ask, prompt: str) -> str:
    try:
        answer = ask(prompt).strip()
    except EOFError:
        raise CalibrationStopped("calibration stopped: no more answers (end of input); nothing written") from None
    if answer.lower() in STOP:
        raise CalibrationStopped("calibration stopped; nothing written")
    return answer


class _Session:
    def __init__(self, bus: MotorBus, ask: Ask, tell: Tell):
        self.bus, self.ask, self.tell = bus, ask, tell
        self.by_hand = bus.has_torque_control and bus.has_feedback
        self.raw = np.asarray(bus.read_raw(), np.int64)  # where every actuator is now, or 0 = no pulses

    def by_hand_at(self, k: int, name: str, where: str) -> int:
        _answer(self.ask, f"{name}: move it by hand to {where}, then press Enter (q stops): ")
        value = int(self.bus.read_raw()[k])
        self.tell(f"  {name}: {value}")
        return value

    def nudged_to(self, k: int, name: str, where: str) -> int:
        lo, hi = self.bus.raw_limits
        step = self.bus.raw_step
        if not lo < self.raw[k] <= hi:  # not sending yet: start in the middle (1500 µs on a pulse bus)
            self.raw[k] = (lo + hi) // 2
        while True:
            self.bus.write_raw(self.raw)
            answer = _answer(self.ask, f"{name} -> {where}: at {self.raw[k]} (+/- moves {step}, +++ three "
                                       "steps, a number goes there, Enter records, q stops): ")
            if not answer:
                return int(self.raw[k])
            if set(answer) == {"+"} or set(answer) == {"-"}:
                target = self.raw[k] + (step if answer[0] == "+" else -step) * len(answer)
            elif answer.isdigit():
                target = int(answer)
            else:
                self.tell(f"  '{answer}' is not + / - / a number / Enter")
                continue
            self.raw[k] = min(max(target, lo), hi)

    def actuator(self, k: int, name: str) -> ActuatorCalibration:
        measure = self.by_hand_at if self.by_hand else self.nudged_to
        while True:
            places = {field: measure(k, name, where) for field, where in PLACES}
            try:
                return ActuatorCalibration(**places)
            except ValidationError as exc:
                self.tell(f"  {name}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}; measure it again")


def calibrate_face(bus: MotorBus, ask: Ask, tell: Tell = print) -> Calibration:
    """Walk the builder through every actuator of `bus.spec` on a connected, uncalibrated bus."""
    spec = bus.spec
    session = _Session(bus, ask, tell)
    if session.by_hand:
        bus.set_torque(False)
        tell(f"{spec.name}: torque is off; you move each actuator by hand and the {bus.type} bus reads it.")
    else:
        tell(f"{spec.name}: the {bus.type} bus cannot read the servos; you nudge each one into place.")
    measured = {}
    for k, a in enumerate(spec.ordered):
        measured[a.name] = session.actuator(k, a.name)
        if not session.by_hand:  # park it, out of the way of the next one
            session.raw[k] = measured[a.name].raw_neutral
            bus.write_raw(session.raw)
    if session.by_hand:
        tell("torque stays off: the face is where your hands left it.")
    return Calibration(face=spec.name, bus=spec.bus.type, actuators=measured)


def calibration_rows(bus: MotorBus, calibration: Calibration) -> list[tuple[str, ...]]:
    """What was measured, one row per actuator: name, servo, ends, neutral, direction, neutral check."""
    rows = []
    for a, servo in zip(bus.spec.ordered, bus.ids, strict=True):
        c = calibration.actuators[a.name]
        at_neutral = (c.raw_neutral - c.raw_at_0) / (c.raw_at_1 - c.raw_at_0)
        rows.append((a.name, str(servo), str(c.raw_at_0), str(c.raw_at_1), str(c.raw_neutral),
                     "normal" if c.raw_at_1 > c.raw_at_0 else "reversed", f"{at_neutral:.2f} (spec {a.neutral:g})"))
    return rows


ROW_HEADER = ("actuator", "servo", "raw at 0", "raw at 1", "raw neutral", "direction", "neutral")


def calibration_table(bus: MotorBus, calibration: Calibration) -> str:
    """`calibration_rows` as aligned text (raw units, the neutral measured against the spec's)."""
    rows = [ROW_HEADER, *calibration_rows(bus, calibration)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(ROW_HEADER))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
