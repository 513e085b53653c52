"""Calibration: where each actuator's normalized 0 and 1 lie in the servo's raw units.

A builder makes it once with `mirrorface calibrate --face myface.toml`; it is a JSON file beside
the spec (`myface.calibration.json`). Each actuator records the raw position of its two ends as
measured on the robot (`raw_at_0`, `raw_at_1`: their order gives the direction) and of its
neutral pose. The spec's normalized `range` still bounds every command, so a calibration maps the
spec's [0, 1] onto the measured travel and can never widen what the safety layer allows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from mirrorface.errors import SpecError
from mirrorface.face.spec import FaceSpec
from mirrorface.files import atomic_output


class ActuatorCalibration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    raw_at_0: int  # raw position at normalized 0
    raw_at_1: int  # raw position at normalized 1 (smaller than raw_at_0 for a reversed servo)
    raw_neutral: int  # raw position the builder called neutral (for checking, not for moving)

    @model_validator(mode="after")
    def _check(self) -> ActuatorCalibration:
        if self.raw_at_0 == self.raw_at_1:
            raise ValueError("raw_at_0 and raw_at_1 must differ")
        lo, hi = sorted((self.raw_at_0, self.raw_at_1))
        if not lo <= self.raw_neutral <= hi:
            raise ValueError(f"raw_neutral {self.raw_neutral} lies outside [{lo}, {hi}]")
        return self


class Calibration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    face: str  # the spec's name, so a calibration is not used on another face
    bus: str  # the bus type it was measured on (raw units differ between protocols)
    actuators: dict[str, ActuatorCalibration]

    def raw_ends(self, spec: FaceSpec) -> tuple[np.ndarray, np.ndarray]:
        """Raw units of normalized 0 and 1 for every actuator, ordered by index."""
        missing = [n for n in spec.names if n not in self.actuators]
        if missing:
            raise SpecError(f"calibration of {self.face!r} lacks {missing}; run `mirrorface calibrate` again")
        at_0 = np.array([self.actuators[n].raw_at_0 for n in spec.names], float)
        at_1 = np.array([self.actuators[n].raw_at_1 for n in spec.names], float)
        return at_0, at_1


def calibration_path(spec_file: Path) -> Path:
    """Where the calibration of the face described by `spec_file` lives: beside it."""
    return spec_file.with_name(spec_file.stem + ".calibration.json")


def load_calibration(path: Path, spec: FaceSpec) -> Calibration:
    """Read a calibration and check that it belongs to `spec` and its bus."""
    if not path.is_file():
        raise SpecError(
            f"face {spec.name!r} uses a {spec.bus.type} bus but has no calibration at {path}; "
            f"run `mirrorface calibrate --face {path.with_name(path.name.replace('.calibration.json', '.toml'))}`"
        )
    try:
        calibration = Calibration.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not a valid calibration: {str(exc).splitlines()[0]}") from None
    if calibration.face != spec.name or calibration.bus != spec.bus.type:
        raise SpecError(
            f"{path} was made for face {calibration.face!r} on a {calibration.bus} bus, not "
            f"{spec.name!r} on a {spec.bus.type} bus; run `mirrorface calibrate` again"
        )
    calibration.raw_ends(spec)
    return calibration


def save_calibration(calibration: Calibration, path: Path) -> None:
    """Write atomically: a calibration is never half-written."""
    with atomic_output(path) as tmp:
        tmp.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")
