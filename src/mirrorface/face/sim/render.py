"""The simulated camera: a face surface -> an RGB frame.

A pinhole camera looks at the head from the front. The renderer paints skin, hair, ears,
eyes (sclera, iris, pupil, lids, lashes), brows, nose, lips, the mouth cavity with its tongue and
the upper and lower teeth (visible only where the lips part), then applies Lambert shading of an
ellipsoidal head, a per-frame light-level jitter and sensor noise. It is drawn with OpenCV's
anti-aliased, sub-pixel polygon fill so that landmarks move smoothly with the skin, and it is
fast (about 1 ms a frame at 256 x 256), because babbling renders tens of thousands of frames.
Random effects come from a seeded generator: the same seed gives the same frames.

A `window` renders one rectangle of the frame alone, what the full frame shows there, and skips
the eyes and brows when they lie outside it: speech planning needs only the mouth crop its VAE
reads, in about half the time of a whole frame. The pixels are the frame's own, except that
OpenCV anti-aliases a long edge it clips at the window's border a level or two differently here
and there (never in the lips10 mouth crop of a face at rest, which is what speech planning draws).
"""

from __future__ import annotations

import cv2
import numpy as np

from mirrorface.face.sim.skin import (
    UPPER_TEETH_EDGE,
    FaceSurface,
    head_depth,
    jaw_transform,
    rot_x,
    rot_y,
    rot_z,
)

SHIFT = 4  # sub-pixel bits for cv2 drawing: 1/16 px precision
_ONE = 1 << SHIFT
NECK_PIVOT = np.array([0.0, 115.0, -35.0])
CAMERA_DISTANCE = 520.0  # mm from the head origin to the pinhole
FRAME_FILL = 0.80  # fraction of the frame height the head (hair to chin) spans
HEAD_TOP, HEAD_BOTTOM = -118.0, 97.0
WINDOW_MARGIN = 8  # pixels drawn beyond a window's edges

HAIR = (58, 40, 30)
BROW = (62, 44, 34)
LIPS = (170, 78, 82)
CAVITY = (62, 20, 26)
TONGUE = (160, 72, 80)
TEETH = (236, 232, 218)
SCLERA = (238, 236, 230)
IRIS = (78, 104, 120)
PUPIL = (18, 14, 14)
LASH = (36, 26, 24)


def _outline() -> tuple[np.ndarray, np.ndarray]:
    """Head outline in the head frame and how much each point follows the jaw."""
    phi = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    x = 71.0 * np.sin(phi)
    y = np.where(np.cos(phi) > 0, -104.0 * np.cos(phi), -HEAD_BOTTOM * np.cos(phi))
    x *= 1.0 - 0.34 * np.clip(y / HEAD_BOTTOM, 0, None) ** 2.2  # the jaw tapers to the chin
    weight = np.clip((y - 15.0) / 55.0, 0, 1)
    pts = np.column_stack([x, y, head_depth(x, y) * 0.2])
    return pts, weight


def _box(x0: float, x1: float, y0: float, y1: float, n: int = 9) -> np.ndarray:
    xs = np.linspace(x0, x1, n)
    top = np.column_stack([xs, np.full(n, y0)])
    bottom = np.column_stack([xs[::-1], np.full(n, y1)])
    xy = np.vstack([top, bottom])
    return np.column_stack([xy, head_depth(xy[:, 0], xy[:, 1]) + 4.0])


def _skull_parts() -> dict[str, np.ndarray]:
    """Head-frame points of what moves only with the neck: neck, ears, hair, nose."""
    outline, _ = _outline()
    hair = outline[outline[:, 1] < -50].copy()
    hair = hair[np.argsort(np.arctan2(hair[:, 0], -hair[:, 1]))]
    hair[:, :2] *= 1.06
    xs = np.linspace(hair[-1, 0], hair[0, 0], 15)
    hairline = np.column_stack([xs, -64.0 + 10.0 * (xs / 60.0) ** 2 - 6.0, np.full(15, 40.0)])
    sides = []
    for sign in (1.0, -1.0):
        side = np.array([[sign * 6.0, -4.0], [sign * 8.0, 10.0], [sign * 12.0, 20.0], [sign * 8.0, 25.0]])
        sides.append(np.column_stack([side, head_depth(*side.T) + 12]))
    return {
        "neck": np.array([[-36, 40, -20], [36, 40, -20], [46, 220, -30], [-46, 220, -30]], float),
        "ears": np.array([[70.0, -4.0, -10.0], [-70.0, -4.0, -10.0]]),
        "hair": np.vstack([hair, hairline]),
        "nose_sides": np.vstack(sides),
        "nostrils": np.array([[6.5, 24.0, 70.0], [-6.5, 24.0, 70.0]]),
        "nose_tip": np.array([[0.0, 16.0, 82.0]]),
    }


_SKULL = _skull_parts()
_UPPER_TEETH = _box(-19.0, 19.0, 36.0, UPPER_TEETH_EDGE)
_LOWER_TEETH = _box(-17.0, 17.0, UPPER_TEETH_EDGE + 0.5, 64.0)


def _touches(img: np.ndarray, pts: np.ndarray, margin: float) -> bool:
    """Whether the box around pixel points `pts`, grown by `margin`, overlaps the image."""
    (x0, y0), (x1, y1) = pts.min(0) - margin, pts.max(0) + margin
    return bool(x1 >= 0 and y1 >= 0 and x0 < img.shape[1] and y0 < img.shape[0])


class Renderer:
    """Draws frames of the simulated face. Holds its own seeded noise generator."""

    def __init__(self, width: int = 256, height: int = 256, *, skin=(188, 150, 128),
                 pixel_noise: float = 2.0, light_jitter: float = 0.03, seed: int = 0):
        self.width, self.height = width, height
        self.skin = tuple(int(c) for c in skin)
        self.skin_dark = tuple(int(c * 0.78) for c in skin)
        self.light_jitter = light_jitter
        self.pixel_noise = pixel_noise
        self.seed = seed
        self.focal = FRAME_FILL * height * (CAMERA_DISTANCE - 40.0) / (HEAD_BOTTOM - HEAD_TOP)
        self.center = np.array([width / 2, height / 2 - self.focal * (HEAD_TOP + HEAD_BOTTOM)
                                / 2 / (CAMERA_DISTANCE - 40.0)])
        self._outline, self._outline_jaw = _outline()
        self._skull_cache: tuple[bytes, dict[str, np.ndarray], dict[str, bool]] = (b"", {}, {})
        self._patches: dict[bytes, tuple] = {}
        self._shade_cache: tuple[bytes, np.ndarray] = (b"", np.empty(0))
        self._background = self._make_background()
        self._shading = self._make_shading()
        self._rng: np.random.Generator | None = None
        self._noise = np.empty(0, np.int16)

    def _generator(self) -> tuple[np.random.Generator, np.ndarray]:
        """The renderer's own generator and its sensor-noise bank (the generator's first draw).

        Made on first use: a renderer that never draws a frame (the painter whose frames worker
        processes render, a face that only moves) does not pay the ~50 ms the 16-frame bank costs.
        """
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
            bank = self._rng.normal(0.0, self.pixel_noise, size=(16, self.height, self.width, 3))
            self._noise = np.round(bank).astype(np.int16)
        return self._rng, self._noise

    # -- geometry ---------------------------------------------------------------------------

    def _pose(self, surface: FaceSurface) -> np.ndarray:
        roll, pitch, yaw = surface.neck_deg
        return rot_z(roll) @ rot_x(-pitch) @ rot_y(yaw)

    def project(self, pts: np.ndarray, rot: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        """Head-frame points (K, 3) -> pixel coordinates (K, 2) after the neck rotation.

        `origin`: the pixel that becomes (0, 0), the top-left corner of a rendered window.
        """
        p = (pts - NECK_PIVOT) @ rot.T + NECK_PIVOT
        depth = CAMERA_DISTANCE - p[:, 2]
        # The origin comes off last, exactly (whole pixels): a window shows the frame's own pixels.
        return self.center + self.focal * p[:, :2] / depth[:, None] - origin

    def _project_all(self, named: dict[str, np.ndarray], rot: np.ndarray,
                     origin: tuple[int, int]) -> dict[str, np.ndarray]:
        """Project several named point sets in one call (rendering is many small arrays)."""
        flat = self.project(np.concatenate(list(named.values())), rot, origin)
        bounds = np.cumsum([0] + [len(v) for v in named.values()])
        return {k: flat[a:b] for k, a, b in zip(named, bounds[:-1], bounds[1:], strict=True)}

    def _fixed(self, surface: FaceSurface) -> dict[str, np.ndarray]:
        """Parts that move only with the skull or the jaw (outline, teeth, nose, ears)."""
        jaw = surface.jaw
        return {
            "outline": jaw_transform(self._outline, jaw, 0.8 * self._outline_jaw),
            "upper_teeth": _UPPER_TEETH,
            "lower_teeth": jaw_transform(_LOWER_TEETH, jaw, 1.0),
            "tongue": np.array([[0.0, 60.0 + 16.0 * jaw, 30.0]]),
        }

    # -- precomputed layers -------------------------------------------------------------------

    def _make_background(self) -> np.ndarray:
        y = np.linspace(0, 1, self.height)[:, None, None]
        top, bottom = np.array([96, 104, 112]), np.array([66, 70, 78])
        grad = top + (bottom - top) * y
        return np.broadcast_to(grad, (self.height, self.width, 3)).astype(np.uint8).copy()

    def _make_shading(self) -> np.ndarray:
        """Lambert shading of an ellipsoid head lit from the upper left, in the neutral pose."""
        v, u = np.mgrid[0 : self.height, 0 : self.width].astype(np.float32)
        scale = (CAMERA_DISTANCE - 40.0) / self.focal
        x = (u - self.center[0]) * scale / 74.0
        y = (v - self.center[1]) * scale / 108.0
        r2 = np.clip(x**2 + y**2, 0, 0.999)
        normal = np.stack([x, y, np.sqrt(1 - r2)], -1)
        light = np.array([-0.35, -0.45, 0.82])
        lambert = np.clip(normal @ (light / np.linalg.norm(light)), 0, 1)
        shade = 0.55 + 0.5 * lambert
        return np.where(x**2 + y**2 < 1.1, shade, 1.0).astype(np.float32)

    # -- drawing ------------------------------------------------------------------------------

    def _poly(self, img, pts, color, closed=True, thickness=-1):
        p = np.round(pts * _ONE).astype(np.int32).reshape(-1, 1, 2)
        if thickness < 0:
            cv2.fillPoly(img, [p], color, cv2.LINE_AA, SHIFT)
        else:
            cv2.polylines(img, [p], closed, color, thickness, cv2.LINE_AA, SHIFT)

    def _ellipse(self, img, center, axes, color, angle=0.0):
        c = tuple(int(round(v * _ONE)) for v in center)
        a = tuple(max(1, int(round(v * _ONE))) for v in axes)
        cv2.ellipse(img, c, a, angle, 0, 360, color, -1, cv2.LINE_AA, SHIFT)

    def _clipped(self, img, region, paint, key: bytes | None = None):
        """Paint a patch (with `paint(patch, offset)`, which must cover all of it) inside `region`.

        The painted patch does not depend on the image under it, so with a `key` (eyes that have
        not moved, say) it is reused from the last frames.
        """
        key = None if key is None else key + bytes(str(img.shape), "ascii")  # a window clips its patches
        cached = self._patches.get(key) if key is not None else None
        if cached is None:
            x0, y0 = np.floor(region.min(0)).astype(int) - 1
            x1, y1 = np.ceil(region.max(0)).astype(int) + 2
            x0, y0 = max(x0, 0), max(y0, 0)
            x1, y1 = min(x1, img.shape[1]), min(y1, img.shape[0])
            if x1 - x0 < 2 or y1 - y0 < 2:
                return
            patch = np.empty((y1 - y0, x1 - x0, 3), np.uint8)
            mask = np.zeros(patch.shape[:2], np.uint8)
            offset = np.array([x0, y0])
            self._poly(mask, region - offset, 255)
            paint(patch, offset)
            alpha = (mask.astype(np.float32) / 255.0)[..., None]
            cached = (y0, y1, x0, x1, patch.astype(np.float32) * alpha, 1 - alpha)
            if key is not None:
                if len(self._patches) > 8:
                    self._patches.clear()
                self._patches[key] = cached
        y0, y1, x0, x1, painted, keep = cached
        roi = img[y0:y1, x0:x1]
        roi[:] = (painted + roi * keep).astype(np.uint8)

    def draw(self, surface: FaceSurface, frame_seed: int | None = None,
             window: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Render one RGB frame (H, W, 3) uint8, or with `window` (x, y, w, h) its (h, w, 3) part.

        Light jitter and noise come from the renderer's own generator, one frame after another;
        with `frame_seed` they come from (seed, frame_seed) instead, so frame k of a video is the
        same whichever process renders it.
        """
        x, y, w, h = window or (0, 0, self.width, self.height)
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > self.width or y + h > self.height:
            raise ValueError(f"window {window} is not inside the {self.width} x {self.height} frame")
        # OpenCV anti-aliases differently near an image's border: draw a few pixels more, then cut.
        x0, y0 = max(x - WINDOW_MARGIN, 0), max(y - WINDOW_MARGIN, 0)
        x1, y1 = min(x + w + WINDOW_MARGIN, self.width), min(y + h + WINDOW_MARGIN, self.height)
        origin = (x0, y0)
        rot = self._pose(surface)
        pts = self._project_all(surface.points, rot, origin)
        fixed = self._project_all(self._fixed(surface), rot, origin)
        px = self.focal / (CAMERA_DISTANCE - 40.0)  # pixels per mm near the face
        img = self._background[y0:y1, x0:x1].copy()

        silhouette = self._draw_head(img, rot, fixed, px, origin)
        for side in ("left", "right"):
            brow = pts[f"brow_{side}"]
            if _touches(img, np.vstack([brow, pts[f"eye_{side}_lower"]]), margin=4 * px):
                self._draw_eye(img, pts, surface, rot, side, px, origin)
                self._poly(img, brow, BROW, closed=False, thickness=max(1, round(3.6 * px)))
        self._draw_nose(img, rot, px, origin)
        self._draw_mouth(img, pts, fixed, px)
        rng = self._generator()[0] if frame_seed is None else np.random.default_rng([self.seed, frame_seed])
        return self._camera(img, rot, silhouette, rng, origin)[y - y0 : y - y0 + h, x - x0 : x - x0 + w]

    def _skull(self, rot, origin, img, px) -> tuple[dict[str, np.ndarray], dict[str, bool]]:
        """Parts fixed to the skull projected for a neck pose, and which of them touch the image
        (cached: poses repeat)."""
        key = rot.tobytes() + bytes(str((origin, img.shape)), "ascii")
        if self._skull_cache[0] != key:
            parts = {name: self.project(pts, rot, origin) for name, pts in _SKULL.items()}
            seen = {name: _touches(img, pts, margin=20 * px) for name, pts in parts.items()}  # ears: 19 mm
            self._skull_cache = (key, parts, seen)
        return self._skull_cache[1], self._skull_cache[2]

    def _draw_head(self, img, rot, fixed, px, origin) -> np.ndarray:
        """Neck, ears, skin and hair; returns the head's silhouette mask (shading applies there)."""
        skull, seen = self._skull(rot, origin, img, px)
        silhouette = np.zeros(img.shape[:2], np.uint8)
        self._poly(img, skull["neck"], self.skin_dark)
        self._poly(silhouette, skull["neck"], 255)
        for ear in skull["ears"] if seen["ears"] else ():
            self._ellipse(img, ear, (8 * px, 19 * px), self.skin_dark)
            self._ellipse(silhouette, ear, (8 * px, 19 * px), 255)
        self._poly(img, fixed["outline"], self.skin)
        self._poly(silhouette, fixed["outline"], 255)
        if seen["hair"]:
            self._poly(img, skull["hair"], HAIR)
        return silhouette

    def _draw_eye(self, img, pts, surface, rot, side, px, origin):
        upper, lower = pts[f"eye_{side}_upper"], pts[f"eye_{side}_lower"]
        crease = surface.points[f"eye_{side}_upper"].copy()
        crease[:, 1] -= 4.5
        self._poly(img, self.project(crease, rot, origin), self.skin_dark, closed=False, thickness=1)
        almond = np.vstack([upper, lower[::-1]])
        centre3 = surface.points[f"eye_{side}_upper"].mean(0)
        centre3[1] = (surface.points[f"eye_{side}_lower"][5, 1] + centre3[1]) / 2
        gaze = surface.gaze[side]
        iris3 = np.array([centre3[0] + gaze[0], -14.0 + gaze[1], centre3[2] + 3.0])
        iris = self.project(iris3[None], rot, origin)[0]

        def paint(patch, offset):
            patch[:] = SCLERA
            self._ellipse(patch, iris - offset, (6.2 * px, 6.2 * px), IRIS)
            self._ellipse(patch, iris - offset, (2.7 * px, 2.7 * px), PUPIL)
            glint = iris - offset + (-1.5 * px, -1.8 * px)
            self._ellipse(patch, glint, (1.1 * px, 1.1 * px), (245, 245, 245))

        self._clipped(img, almond, paint, key=almond.tobytes() + iris.tobytes())
        self._poly(img, upper, LASH, closed=False, thickness=max(1, round(1.4 * px)))
        self._poly(img, lower, self.skin_dark, closed=False, thickness=1)

    def _draw_nose(self, img, rot, px, origin):
        skull, seen = self._skull(rot, origin, img, px)
        if not (seen["nose_sides"] or seen["nostrils"] or seen["nose_tip"]):
            return
        for k, sign in enumerate((1.0, -1.0)):
            self._poly(img, skull["nose_sides"][4 * k : 4 * k + 4], self.skin_dark, closed=False,
                       thickness=max(1, round(1.2 * px)))
            self._ellipse(img, skull["nostrils"][k], (3.2 * px, 1.7 * px), (70, 42, 38), angle=sign * 15)
        highlight = tuple(min(255, c + 22) for c in self.skin)
        self._ellipse(img, skull["nose_tip"][0], (3.0 * px, 2.2 * px), highlight)

    def _draw_mouth(self, img, pts, fixed, px):
        uo, ui, li, lo = (pts[f"lip_{k}"] for k in ("upper_outer", "upper_inner",
                                                     "lower_inner", "lower_outer"))
        self._poly(img, np.vstack([uo, lo[::-1]]), LIPS)
        cavity = np.vstack([ui, li[::-1]])

        def paint(patch, offset):
            patch[:] = CAVITY
            tongue = fixed["tongue"][0] - offset
            self._ellipse(patch, tongue, (15 * px, 7 * px), TONGUE)
            self._poly(patch, fixed["lower_teeth"] - offset, TEETH)
            self._poly(patch, fixed["upper_teeth"] - offset, TEETH)

        self._clipped(img, cavity, paint)
        self._poly(img, ui, (110, 40, 48), closed=False, thickness=1)
        self._poly(img, li, (110, 40, 48), closed=False, thickness=1)
        shine = lo * 0.35 + li * 0.65
        self._poly(img, shine[4:-4], (196, 112, 116), closed=False, thickness=1)

    def _camera(self, img, rot, silhouette, rng, origin):
        """Shading inside the head's silhouette, a light-level jitter and sensor noise.

        Done in 8/16-bit integer arithmetic (shading in 1/128 steps): it touches every pixel of
        every frame, and floats cost twice as much here.
        """
        key = rot.tobytes()
        if self._shade_cache[0] != key:
            shade = self._shading
            if not np.allclose(rot, np.eye(3)):
                ref = np.array([[0.0, 0.0, 50.0], [60.0, 0.0, 30.0], [0.0, 80.0, 30.0]])
                neutral = self.project(ref, np.eye(3)).astype(np.float32)
                posed = self.project(ref, rot).astype(np.float32)
                affine = cv2.getAffineTransform(neutral, posed)
                shade = cv2.warpAffine(shade, affine, (self.width, self.height),
                                       borderMode=cv2.BORDER_CONSTANT, borderValue=1.0)
            self._shade_cache = (key, np.round(shade * 128).astype(np.uint8))
        (x, y), (h, w) = origin, silhouette.shape
        shade = np.full(silhouette.shape, 128, np.uint8)
        cv2.copyTo(self._shade_cache[1][y : y + h, x : x + w], silhouette, shade)  # only where the head is
        gain = 1.0 + self.light_jitter * rng.standard_normal()
        lit = cv2.multiply(img, cv2.merge([shade, shade, shade]), scale=gain / 128, dtype=cv2.CV_16S)
        noise = self._generator()[1]
        lit = cv2.add(lit, noise[rng.integers(len(noise))][y : y + h, x : x + w])
        return cv2.convertScaleAbs(cv2.max(lit, 0))  # saturates at 255
