"""Face specs: what a robot face is made of, loaded from TOML and validated with pydantic.

A spec is data (see `mirrorface/faces/<name>/face.toml`). Everything above the drivers works
in normalized commands: one float per actuator in [0, 1], ordered by `Actuator.index`.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from mirrorface.errors import SpecError

BUILTIN_PACKAGE = "mirrorface.faces"


class _Frozen(BaseModel):
    # NaN or infinity would disable a bound, a rule or a speed limit: refused in every field.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Actuator(_Frozen):
    """One servo, in normalized units."""

    name: str
    group: str  # e.g. "jaw", "upper_lip", "brow": used by samplers to pick face regions
    index: int = Field(ge=0)  # position in the command vector
    range: tuple[float, float] = (0.0, 1.0)  # safe travel, a sub-interval of [0, 1]
    neutral: float = Field(ge=0.0, le=1.0)  # the resting pose, also where the face goes on a fault
    speed: float = Field(gt=0.0)  # maximum speed, normalized units per second
    partner: str | None = None  # the mirror-image actuator on the other side of the face
    drive: str | None = None  # simulated muscle this actuator pulls (defaults to its name)
    servo_id: int | None = None  # bus address on a real face

    @model_validator(mode="after")
    def _check_range(self) -> Actuator:
        lo, hi = self.range
        if not 0.0 <= lo < hi <= 1.0:
            raise ValueError(f"range must satisfy 0 <= min < max <= 1, got {list(self.range)}")
        if not lo <= self.neutral <= hi:
            raise ValueError(f"neutral {self.neutral} lies outside range {list(self.range)}")
        return self

    @property
    def sim_drive(self) -> str:
        return self.drive or self.name


class ClosureActuator(_Frozen):
    """An actuator that closes the lips, for the lip-sync paper's closure loss (eq. 7)."""

    name: str
    closes: Literal[-1, 1]  # +1: a larger command closes the lips further; -1: a smaller one


class Lips(_Frozen):
    closure: tuple[ClosureActuator, ...] = ()


class SymmetricCommand(_Frozen):
    """One command of the symmetric set, driving an actuator and its mirror image together."""

    name: str
    actuators: tuple[str, ...] = Field(min_length=1, max_length=2)


class SafetyRule(_Frozen):
    """A linear limit on a combination of actuators: sum(weight * command) <= max.

    Linear rules keep the safe set convex, so the segment from the neutral pose to any command
    crosses each rule's boundary at most once: the safety layer relies on this.
    """

    name: str
    why: str  # what would break: shown when the rule fires
    weights: dict[str, float] = Field(min_length=1)
    max: float


class Safety(_Frozen):
    rules: tuple[SafetyRule, ...] = ()
    deadline_s: float = Field(default=0.2, gt=0)  # missed loop deadline after which the face goes neutral


class Camera(_Frozen):
    width: int = Field(default=256, ge=64, le=4096)
    height: int = Field(default=256, ge=64, le=4096)
    fps: float = Field(default=30.0, gt=0)
    # A real face's camera, anything OpenCV opens: an index ("0"), a device ("/dev/video2"), a
    # video file or a stream URL ("rtsp://..."). See docs/hardware.md.
    device: str | None = None
    loop: bool = False  # a video file starts again at its end (trying a face on a recorded clip)

    @model_validator(mode="after")
    def _check_even(self) -> Camera:
        # Datasets store H.264 video in 4:2:0 colour, which halves both sides: they must be even.
        if self.width % 2 or self.height % 2:
            raise ValueError(f"width and height must be even numbers of pixels, got {self.width}x{self.height}")
        return self


class Bus(_Frozen):
    """How the face's servos are wired (see docs/hardware.md); `sim` is the built-in simulator."""

    type: Literal["sim", "feetech", "dynamixel", "maestro", "pca9685"] = "sim"
    port: str | None = None  # serial port, e.g. "/dev/ttyUSB0" (feetech, dynamixel, maestro)
    baudrate: int | None = Field(default=None, gt=0)  # serial baud rate (the driver's default if unset)
    i2c_bus: int | None = Field(default=None, ge=0)  # /dev/i2c-N (pca9685)
    address: int | None = Field(default=None, ge=0, le=127)  # I2C address (pca9685; 0x40 if unset)
    retries: int = Field(default=3, ge=0, le=20)  # a missing or corrupt reply is retried this many times
    timeout_ms: float = Field(default=20.0, gt=0)  # how long to wait for one reply
    torque_off_on_fault: bool = False  # after a fault: False eases to neutral, True also cuts torque


class SimParams(_Frozen):
    """How the simulated servos and camera misbehave (they are never perfect)."""

    lag_s: float = Field(default=0.035, ge=0)  # first-order time constant of each servo
    backlash: float = Field(default=0.008, ge=0)  # dead band of the gear train, normalized units
    pixel_noise: float = Field(default=2.0, ge=0)  # std of camera noise, in 8-bit levels
    light_jitter: float = Field(default=0.03, ge=0)  # relative std of the light level per frame
    skin_tone: tuple[int, int, int] = (188, 150, 128)  # RGB


class FaceSpec(_Frozen):
    """A whole face: actuators, lips, safety rules, camera and bus."""

    name: str
    version: str = "1.0.0"
    description: str = ""
    actuators: tuple[Actuator, ...] = Field(min_length=1)
    lips: Lips = Lips()
    symmetric: tuple[SymmetricCommand, ...] = ()
    safety: Safety = Safety()
    camera: Camera = Camera()
    bus: Bus = Bus()
    sim: SimParams = SimParams()
    _source: Path | None = PrivateAttr(default=None)  # the file it was loaded from (`load_spec`)

    @property
    def source(self) -> Path | None:
        """The face.toml this spec was loaded from (None when parsed from text), for the files
        that live beside it, such as a real face's calibration."""
        return self._source

    @model_validator(mode="after")
    def _check_references(self) -> FaceSpec:
        names = [a.name for a in self.actuators]
        if len(set(names)) != len(names):
            raise ValueError(f"actuator names repeat: {sorted({n for n in names if names.count(n) > 1})}")
        indices = sorted(a.index for a in self.actuators)
        if indices != list(range(len(indices))):
            raise ValueError(f"actuator indices must be 0..{len(indices) - 1} once each, got {indices}")
        known = set(names)
        by_name = {a.name: a for a in self.actuators}
        for a in self.actuators:
            if a.partner is not None:
                if a.partner not in known:
                    raise ValueError(f"actuator {a.name!r}: partner {a.partner!r} is not an actuator")
                if by_name[a.partner].partner != a.name:
                    raise ValueError(f"actuator {a.name!r}: partner {a.partner!r} does not name it back")
        referenced = [c.name for c in self.lips.closure]
        referenced += [n for s in self.symmetric for n in s.actuators]
        referenced += [n for r in self.safety.rules for n in r.weights]
        unknown = sorted(set(referenced) - known)
        if unknown:
            raise ValueError(f"unknown actuators referenced: {unknown}")
        neutral = self.neutral
        for rule in self.safety.rules:
            if self.rule_value(rule, neutral) > rule.max:
                raise ValueError(f"safety rule {rule.name!r} forbids the neutral pose")
        return self

    # -- derived views (commands are float arrays ordered by actuator index) ---------------

    @cached_property
    def ordered(self) -> tuple[Actuator, ...]:
        return tuple(sorted(self.actuators, key=lambda a: a.index))

    @cached_property
    def digest(self) -> str:
        """A fingerprint of everything the spec says (not of its comments or layout)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    @property
    def n(self) -> int:
        return len(self.actuators)

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.ordered]

    @property
    def neutral(self) -> np.ndarray:
        return np.array([a.neutral for a in self.ordered])

    @property
    def lower(self) -> np.ndarray:
        return np.array([a.range[0] for a in self.ordered])

    @property
    def upper(self) -> np.ndarray:
        return np.array([a.range[1] for a in self.ordered])

    @property
    def speed(self) -> np.ndarray:
        return np.array([a.speed for a in self.ordered])

    def index_of(self, name: str) -> int:
        for a in self.actuators:
            if a.name == name:
                return a.index
        raise SpecError(f"face {self.name!r} has no actuator {name!r}; it has {self.names}")

    def indices_of_groups(self, groups: set[str]) -> list[int]:
        return [a.index for a in self.ordered if a.group in groups]

    def rule_value(self, rule: SafetyRule, command: np.ndarray) -> float:
        return float(sum(w * command[self.index_of(n)] for n, w in rule.weights.items()))

    def expand_symmetric(self, symmetric: np.ndarray) -> np.ndarray:
        """A full command from the symmetric set (e.g. emo26's 11); others stay neutral."""
        full = self.neutral.copy()
        for value, cmd in zip(symmetric, self.symmetric, strict=True):
            for name in cmd.actuators:
                full[self.index_of(name)] = value
        return full


def builtin_faces() -> list[str]:
    root = resources.files(BUILTIN_PACKAGE)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "face.toml").is_file())


def spec_path(name_or_path: str | Path) -> Path:
    """The face.toml behind a built-in face name or a path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SpecError(f"{path}: no such face spec file")
        return path
    if str(name_or_path) in builtin_faces():
        return Path(str(resources.files(BUILTIN_PACKAGE) / str(name_or_path) / "face.toml"))
    raise SpecError(
        f"unknown face {str(name_or_path)!r}: built-in faces are {', '.join(builtin_faces())}, "
        "or give the path of a face.toml"
    )


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "spec"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}"


def load_spec(name_or_path: str | Path) -> FaceSpec:
    """Load a built-in face by name, or a face.toml by path.

    Raises:
        SpecError: one line naming the file and the offending field.
    """
    path = spec_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    spec = parse_spec(text, str(path))
    spec._source = path.resolve()
    return spec


def parse_spec(text: str, where: str = "spec") -> FaceSpec:
    """A face spec from TOML text (e.g. the copy a dataset keeps of the face it was recorded on)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML: {exc}") from None
    try:
        return FaceSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{where}: {_describe(exc)}") from None
