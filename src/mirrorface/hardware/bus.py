"""Motor buses: the one place where normalized commands become raw servo units and back.

A `MotorBus` talks to the servos of one face over one wire (a serial port, an I2C bus). Above
it everything is the normalized command in [0, 1] per actuator, ordered by actuator index;
below it, ticks or microseconds. Each protocol is a small subclass registered under the spec's
`[bus] type` (`@register_bus("dynamixel")`), so `ServoFace` picks one by name without an
if/elif chain, and a builder can register a bus of their own.

A subclass implements the raw operations (`_open`, `_close`, `_write_raw`, `_read_raw`,
`_set_torque`, `_read_faults`); the conversion between raw units and normalized commands is done
here, once, from the calibration (`hardware/calibration.py`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from mirrorface.errors import DeviceError
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.calibration import Calibration

BUSES: dict[str, type[MotorBus]] = {}


def register_bus(name: str) -> Callable[[type[MotorBus]], type[MotorBus]]:
    """Class decorator: make a bus available as `[bus] type = "<name>"`."""

    def register(cls: type[MotorBus]) -> type[MotorBus]:
        cls.type = name
        BUSES[name] = cls
        return cls

    return register


class BusFault(DeviceError):
    """A servo or the wire failed persistently: names the servo (when one is to blame) and the fault."""


class MotorBus(ABC):
    """The servos of one face on one wire, in normalized units.

    Args:
        spec: the face (actuator order, servo ids/channels in `Actuator.servo_id`, the `[bus]`
            section for port, baud rate and retries).
        calibration: raw units of each actuator's two ends and neutral, made by `mirrorface calibrate`.
    """

    type: ClassVar[str] = ""
    #: Whether `read_positions` measures the servos (False: it returns the last commanded positions).
    has_feedback: ClassVar[bool] = True
    #: Whether torque can be switched off (hobby PWM servos cannot).
    has_torque_control: ClassVar[bool] = True
    #: Raw positions a servo can be sent to (`write_raw` refuses others; calibration nudges within).
    raw_limits: ClassVar[tuple[int, int]] = (0, 4095)
    #: One nudge when calibrating by small steps, in raw units.
    raw_step: ClassVar[int] = 10

    def __init__(self, spec: FaceSpec, calibration: Calibration | None):
        """`calibration=None` opens an uncalibrated bus: only `read_raw`/`write_raw` work (calibrating)."""
        self.spec = spec
        self.calibration = calibration
        self.ids = [a.servo_id if a.servo_id is not None else a.index for a in spec.ordered]
        if calibration is not None:
            self._raw_at_0, self._raw_at_1 = calibration.raw_ends(spec)

    # -- raw operations a protocol implements ------------------------------------------------

    @abstractmethod
    def _open(self) -> None:
        """Open the wire and check that every servo answers (raise `BusFault` naming the missing one)."""

    @abstractmethod
    def _close(self) -> None: ...

    @abstractmethod
    def _write_raw(self, raw: np.ndarray) -> None:
        """Goal positions of every actuator in raw units, in one sync packet where the protocol allows."""

    @abstractmethod
    def _read_raw(self) -> np.ndarray:
        """Present positions of every actuator in raw units (one sync read where the protocol allows)."""

    def _set_torque(self, enabled: bool) -> None:  # noqa: B027 (optional: not every bus can cut torque)
        """Switch every servo's torque on or off (buses without torque control need not override)."""

    def _read_faults(self) -> dict[int, str]:
        """Hardware-error bits by servo id, e.g. {3: "overload"}; empty when all is well."""
        return {}

    # -- the normalized interface ServoFace uses ---------------------------------------------

    def connect(self) -> None:
        self._open()

    def disconnect(self) -> None:
        self._close()

    def write_positions(self, command: np.ndarray) -> None:
        """Goal positions, normalized [0, 1] per actuator (already through the safety layer)."""
        self._write_raw(self.to_raw(command))

    def read_positions(self) -> np.ndarray:
        """Present positions, normalized per actuator."""
        return self.from_raw(self._read_raw())

    def set_torque(self, enabled: bool) -> None:
        self._set_torque(enabled)

    def read_faults(self) -> dict[str, str]:
        """Hardware faults by actuator name; empty when all is well."""
        by_id = self._read_faults()
        return {self.name_of(i): fault for i, fault in by_id.items()}

    def read_raw(self) -> np.ndarray:
        """Present positions in raw units: for `mirrorface calibrate` only (raw units stay in hardware/)."""
        return self._read_raw()

    def write_raw(self, raw: np.ndarray) -> None:
        """Goal positions in raw units: for `mirrorface calibrate` only; refuses values outside `raw_limits`."""
        raw = np.asarray(raw, np.int64)
        lo, hi = self.raw_limits
        bad = [(self.spec.names[k], int(v)) for k, v in enumerate(raw) if not lo <= v <= hi]
        if bad:
            raise DeviceError(f"{self.type} bus: raw positions {bad} lie outside {lo}..{hi}")
        self._write_raw(raw)

    def name_of(self, servo_id: int) -> str:
        for name, i in zip(self.spec.names, self.ids, strict=True):
            if i == servo_id:
                return name
        return f"servo {servo_id}"

    def _require_calibration(self) -> None:
        if self.calibration is None:
            raise DeviceError(f"face {self.spec.name!r}: the {self.type} bus is not calibrated")

    def to_raw(self, command: np.ndarray) -> np.ndarray:
        self._require_calibration()
        command = np.asarray(command, float)
        return np.rint(self._raw_at_0 + command * (self._raw_at_1 - self._raw_at_0)).astype(np.int64)

    def from_raw(self, raw: np.ndarray) -> np.ndarray:
        self._require_calibration()
        return (np.asarray(raw, float) - self._raw_at_0) / (self._raw_at_1 - self._raw_at_0)


def make_bus(spec: FaceSpec, calibration: Calibration | None) -> MotorBus:
    """The bus the spec's `[bus] type` names (see `BUSES`)."""
    import mirrorface.hardware.buses  # noqa: F401  (the drivers register themselves on import)

    try:
        cls = BUSES[spec.bus.type]
    except KeyError:
        known = ", ".join(sorted(BUSES)) or "none"
        raise DeviceError(f"face {spec.name!r}: no driver for bus type {spec.bus.type!r} (known: {known})") from None
    return cls(spec, calibration)
