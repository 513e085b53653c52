"""The simulated face's soft skin: muscle drive positions -> a 3-D face surface.

Coordinates are the head frame in millimetres: x to the image's right (the robot's left),
y down, z towards the camera; the origin sits between the eyes and the mouth.

The mapping is deliberately nonlinear and coupled, as a silicone skin over linkages is:
- every drive saturates softly near its ends (the skin stiffens as it stretches);
- each lip actuator pulls a patch of lip whose influence falls off along the lip (Gaussian);
- the jaw *rotates* about a hinge behind the cheeks, dragging chin, lower lip and corners along
  arcs, and narrows the mouth as it opens (a passive joint);
- the lips cannot pass through each other: a soft contact compresses and bulges them;
- smiling raises the cheeks and with them the lower lids; frowning brows press the upper lids.
Learners never see this module: they see commands and camera frames only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Every simulated muscle, with its resting value. A face spec maps its actuators onto these
# (Actuator.drive); drives a face lacks stay at rest.
DRIVES: dict[str, float] = {
    "neck_roll": 0.5, "neck_pitch": 0.5, "neck_yaw": 0.5,
    "eye_left_yaw": 0.5, "eye_left_pitch": 0.5, "eye_right_yaw": 0.5, "eye_right_pitch": 0.5,
    "upper_lid_left": 0.7, "upper_lid_right": 0.7, "lower_lid_left": 0.3, "lower_lid_right": 0.3,
    "brow_inner_left": 0.4, "brow_inner_right": 0.4, "brow_outer_left": 0.4, "brow_outer_right": 0.4,
    "upper_lip_left": 0.45, "upper_lip_center": 0.45, "upper_lip_right": 0.45,
    "lower_lip_left": 0.5, "lower_lip_center": 0.5, "lower_lip_right": 0.5, "lower_lip_roll": 0.5,
    "corner_left_x": 0.5, "corner_left_y": 0.5, "corner_right_x": 0.5, "corner_right_y": 0.5,
    "jaw": 0.05,
}

N_LIP = 15  # points per lip contour, corner to corner (x from -, i.e. the robot's right, to +)
# The "centre region" of the mouth: lip points within 30% of the half-width of the midline (the
# middle 5 of the 15 contour points). Narrow enough to ignore the corners, which stay near-closed
# in every vowel; wide enough that a one-point pinch or cupid's-bow notch does not decide alone.
CENTRE = np.abs(np.linspace(-1.0, 1.0, N_LIP)) <= 0.3
CLOSED_GAP_MM = 1.0  # lips shut below this centre gap (argued at eval.articulation.CLOSURE_THRESHOLD_MM)
MOUTH_Y = 50.0  # resting height of the mouth line
MOUTH_HALF_WIDTH = 25.0
JAW_HINGE = np.array([0.0, 2.0, -62.0])  # the jaw rotates about the x axis through this point
JAW_MAX_DEG = 19.0
UPPER_TEETH_EDGE = 51.0  # incisal edge of the upper teeth (fixed to the skull)


def _sat(value: float, rest: float, gain: float = 2.2) -> float:
    """Drive value -> signed excursion in [-1, 1] from rest, stiffening towards both ends."""
    span = (1.0 - rest) if value >= rest else rest
    u = (value - rest) / max(span, 1e-6)
    return float(np.tanh(gain * u) / np.tanh(gain))


def _smooth_gap(gap: np.ndarray, softness: float = 0.5) -> np.ndarray:
    """Soft max(gap, 0): lips in contact keep a hairline gap instead of interpenetrating."""
    return softness * np.logaddexp(0.0, gap / softness)


def rot_x(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def head_depth(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Depth of the skin at (x, y): an ellipsoid front, flattened on the cheeks."""
    r = np.clip(1.0 - (x / 78.0) ** 2 - (y / 110.0) ** 2, 0.0, None)
    return 55.0 * np.sqrt(r)


@dataclass
class MouthShape:
    """A mouth in the head frame: four lip contours (N_LIP x 2, mm) and the jaw opening.

    This is also what the mouth-painting path takes: speech targets describe a mouth this way,
    and the renderer paints it onto the face without going through any actuator.
    """

    upper_outer: np.ndarray
    upper_inner: np.ndarray
    lower_inner: np.ndarray
    lower_outer: np.ndarray
    jaw: float  # jaw rotation as a fraction of its full travel, in [0, 1]
    lower_lip_depth: float = 0.0  # mm the lower lip sits forward (+) or tucked back (-)

    def contours(self) -> np.ndarray:
        return np.stack([self.upper_outer, self.upper_inner, self.lower_inner, self.lower_outer])

    def centre_gap_mm(self) -> float:
        """Mean vertical distance (mm) between the inner lip contours over the CENTRE region."""
        return float(np.mean(self.lower_inner[CENTRE, 1] - self.upper_inner[CENTRE, 1]))


@dataclass
class FaceSurface:
    """The deformed face: named 3-D point sets in the head frame (mm), before the neck moves."""

    points: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (K, 3)
    gaze: dict[str, np.ndarray] = field(default_factory=dict)  # eye -> (2,) iris offset, mm
    neck_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # roll, pitch, yaw
    jaw: float = 0.0


def jaw_transform(points: np.ndarray, jaw: float, weight: np.ndarray | float) -> np.ndarray:
    """Rotate points about the jaw hinge, each by its weight (skin partly follows the bone)."""
    angle = np.radians(JAW_MAX_DEG * jaw) * np.broadcast_to(weight, points.shape[:1])
    c, s = np.cos(angle), np.sin(angle)
    dy, dz = points[:, 1] - JAW_HINGE[1], points[:, 2] - JAW_HINGE[2]
    out = points.copy()
    out[:, 1] = JAW_HINGE[1] + c * dy + s * dz  # opening swings the chin down and back
    out[:, 2] = JAW_HINGE[2] - s * dy + c * dz
    return out


def _lip_patch(t: np.ndarray, centers: list[float], values: list[float], width: float) -> np.ndarray:
    """Displacement along the lip from actuators at positions `centers` (t in [-1, 1])."""
    patch = np.zeros_like(t)
    for c, v in zip(centers, values, strict=True):
        patch += v * np.exp(-(((t - c) / width) ** 2))
    return patch * (1.0 - t**2) ** 0.6  # corners are pinned by the corner linkages


def mouth_shape(d: dict[str, float]) -> MouthShape:
    """The lips' contours for drive values `d` (the mouth half of the skin model)."""
    t = np.linspace(-1.0, 1.0, N_LIP)
    # The jaw servo drives a crank: the opening starts slowly and speeds up.
    jaw = float(np.clip(d["jaw"], 0.0, 1.0)) ** 1.7
    cx = {s: _sat(d[f"corner_{s}_x"], DRIVES[f"corner_{s}_x"]) for s in ("left", "right")}
    cy = {s: _sat(d[f"corner_{s}_y"], DRIVES[f"corner_{s}_y"]) for s in ("left", "right")}
    pucker = max(0.0, -(cx["left"] + cx["right"]) / 2)
    spread = max(0.0, (cx["left"] + cx["right"]) / 2)

    # Corners: a five-bar linkage moves each on a curved patch of the cheek; the open jaw drags
    # them down and in.
    corners = {}
    for s, sign in (("left", 1.0), ("right", -1.0)):
        # The two motors of a corner form a five-bar linkage: the x motor swings the corner on
        # an arc, and the y motor's direction of pull turns with that swing.
        swing = 1.1 * cx[s]
        half = MOUTH_HALF_WIDTH + 9.5 * np.sin(swing) / np.sin(1.1) + 4.0 * cy[s] * np.sin(0.9 * swing)
        half *= 1.0 - 0.22 * jaw**1.5
        y = MOUTH_Y - 9.0 * cy[s] * np.cos(0.9 * swing) + 10.0 * jaw * (1.0 - 0.4 * cy[s])
        corners[s] = (sign * half, y)
    xs = np.interp(t, [-1, 1], [corners["right"][0], corners["left"][0]])
    # The lip line bows upwards between corners that are pulled up (smile) and vice versa.
    base_y = np.interp(t, [-1, 1], [corners["right"][1], corners["left"][1]])
    base_y += (MOUTH_Y - base_y) * (1 - t**2) * 0.65

    up = [_sat(d[f"upper_lip_{k}"], DRIVES[f"upper_lip_{k}"]) for k in ("right", "center", "left")]
    lo = [_sat(d[f"lower_lip_{k}"], DRIVES[f"lower_lip_{k}"]) for k in ("right", "center", "left")]
    roll = _sat(d["lower_lip_roll"], DRIVES["lower_lip_roll"])
    u_lift = _lip_patch(t, [-0.55, 0.0, 0.55], up, 0.38)  # + raises the upper lip
    l_lift = _lip_patch(t, [-0.55, 0.0, 0.55], lo, 0.38)  # + pushes the lower lip up
    l_lift *= 1.0 - 0.6 * jaw  # a stretched lower lip over an open jaw lifts less
    u_lift *= 1.0 + 0.5 * max(cy["left"] + cy["right"], 0.0) / 2  # smiling lifts the upper lip

    thin = 1.0 - 0.35 * spread + 0.45 * pucker  # stretched lips thin, puckered lips bunch up
    profile = (1.0 - t**2) ** 0.5
    cupid = 1.6 * np.exp(-((np.abs(t) - 0.22) / 0.12) ** 2)  # the cupid's bow
    u_thick = 7.0 * thin * profile + cupid * profile
    l_thick = 8.5 * thin * profile * (1.0 + 0.25 * roll)

    upper_inner_y = base_y - 1.0 * profile - 6.5 * u_lift
    lower_inner_y = base_y + 1.0 * profile - 5.0 * l_lift - 2.5 * min(roll, 0.0)
    # Lower lip rides on the jaw: rotate the lower-lip points with it (partially: skin slack).
    lower = np.stack([xs, lower_inner_y, np.zeros_like(xs)], axis=1)
    lower[:, 2] = head_depth(lower[:, 0], lower[:, 1]) + 8.0
    lower = jaw_transform(lower, jaw, profile**0.5)  # corners ride on their own linkages
    lower_inner_y = lower[:, 1]
    xs_lower = lower[:, 0] * (1.0 - 0.1 * jaw * profile)

    # Soft contact: the lower lip cannot pass the upper one; what it pushes compresses both.
    gap = lower_inner_y - upper_inner_y
    gap_eff = _smooth_gap(gap)
    squeeze = gap_eff - gap  # > 0 where the lips press into each other
    upper_inner_y = upper_inner_y - 0.35 * squeeze
    lower_inner_y = upper_inner_y + gap_eff
    upper_outer_y = upper_inner_y - u_thick - 0.25 * squeeze
    lower_outer_y = lower_inner_y + l_thick + 0.45 * squeeze

    # Puckering narrows the mouth and rounds it: pull all points towards the middle.
    xs = xs * (1.0 - 0.12 * pucker * profile)
    xs_lower = xs_lower * (1.0 - 0.12 * pucker * profile)
    depth = 4.0 * pucker + 3.0 * roll

    def pts(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.stack([x, y], axis=1)

    return MouthShape(
        upper_outer=pts(xs, upper_outer_y),
        upper_inner=pts(xs, upper_inner_y),
        lower_inner=pts(xs_lower, lower_inner_y),
        lower_outer=pts(xs_lower, lower_outer_y),
        jaw=jaw,
        lower_lip_depth=float(depth),
    )


def _eye(d: dict[str, float], side: str, sign: float, cheek: float, brow_low: float):
    """Upper and lower lid curves of one eye (K x 2) and the iris offset (mm)."""
    cx, cy, half_w = sign * 31.0, -14.0, 14.5
    t = np.linspace(-1.0, 1.0, 11)
    pitch = _sat(d[f"eye_{side}_pitch"], 0.5)
    opening = np.clip(d[f"upper_lid_{side}"] / 0.7, 0.0, 1.5) ** 0.8  # 0 shut, 1 rest, 1.4 wide
    opening *= 1.0 - 0.25 * brow_low + 0.12 * pitch  # brows press the lid; gaze up lifts it
    lower_raise = np.clip(d[f"lower_lid_{side}"] + 0.5 * cheek, 0.0, 1.3)
    shape = (1.0 - t**2) ** 0.75
    lower_y = cy + 5.5 * shape * (1.0 - 0.6 * lower_raise)
    upper_y = cy - 7.5 * shape * opening
    upper_y = np.minimum(upper_y, lower_y - 0.05)  # a shut eye is a closed slit
    x = cx + half_w * t
    gaze = np.array([6.0 * _sat(d[f"eye_{side}_yaw"], 0.5), -4.0 * pitch])
    return np.stack([x, upper_y], 1), np.stack([x, lower_y], 1), gaze


def _brow(d: dict[str, float], side: str, sign: float) -> np.ndarray:
    inner = _sat(d[f"brow_inner_{side}"], DRIVES[f"brow_inner_{side}"])
    outer = _sat(d[f"brow_outer_{side}"], DRIVES[f"brow_outer_{side}"])
    t = np.linspace(0.0, 1.0, 7)  # inner -> outer
    x = sign * (13.0 + 38.0 * t - 2.5 * min(inner, 0.0) * (1 - t))  # knitting pulls inward
    arch = 4.0 * np.sin(np.pi * (0.2 + 0.7 * t))
    w = t * t * (3 - 2 * t)
    y = -33.0 - arch - 9.0 * (inner * (1 - w) + outer * w) - 2.0 * inner * outer
    return np.stack([x, y], 1)


def face_surface(d: dict[str, float]) -> FaceSurface:
    """All drive values (see DRIVES) -> the deformed face surface."""
    d = {**DRIVES, **d}
    mouth = mouth_shape(d)
    cheek = {s: max(0.0, _sat(d[f"corner_{s}_y"], 0.5)) ** 1.5 for s in ("left", "right")}
    surface = FaceSurface(jaw=mouth.jaw)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        brow = _brow(d, side, sign)
        brow_low = max(0.0, -_sat(d[f"brow_inner_{side}"], DRIVES[f"brow_inner_{side}"]))
        upper, lower, gaze = _eye(d, side, sign, cheek[side], brow_low)
        surface.points[f"brow_{side}"] = _lift(brow, 6.0)
        surface.points[f"eye_{side}_upper"] = _lift(upper, 2.0)
        surface.points[f"eye_{side}_lower"] = _lift(lower, 2.0)
        surface.gaze[side] = gaze
    set_mouth(surface, mouth)
    roll = 12.0 * _sat(d["neck_roll"], 0.5)
    pitch = 10.0 * _sat(d["neck_pitch"], 0.5)
    yaw = 12.0 * _sat(d["neck_yaw"], 0.5)
    surface.neck_deg = (roll, pitch, yaw)
    return surface


def _lift(xy: np.ndarray, dz: float) -> np.ndarray:
    """Put 2-D head-frame points onto the skin surface, `dz` mm proud of it."""
    z = head_depth(xy[:, 0], xy[:, 1]) + dz
    return np.column_stack([xy, z])


def set_mouth(surface: FaceSurface, mouth: MouthShape) -> None:
    """Place a mouth (from the skin model or from a speech target) onto the face surface."""
    for name, contour in zip(("upper_outer", "upper_inner", "lower_inner", "lower_outer"),
                             mouth.contours(), strict=True):
        dz = 9.0 + (mouth.lower_lip_depth if name.startswith("lower") else 0.0)
        surface.points[f"lip_{name}"] = _lift(contour, dz)
    surface.jaw = mouth.jaw
