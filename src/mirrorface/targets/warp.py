"""Speaking frames for a real robot: a landmark-guided piecewise-affine warp of the mouth region.

A real robot has no renderer, so speech targets are drawn as in face morphing: one frame of the
robot at rest and its MediaPipe landmarks, lip landmarks moved onto the target lips, the skin
around them warped. The mesh, built once per neutral frame, joins the 20 inner and 20 outer lip
landmarks (paired index by index), `N_RINGS` rings of virtual points on rays from the mouth centre
(ring k follows the outer lip by 1 - k / (N_RINGS + 1): a linear fall-off, no tearing) and a fixed
ring of anchor landmarks (nose base, cheeks, jaw, chin); nothing outside the anchors changes.

Each frame is one `cv2.remap`: every pixel looks up its triangle (rasterized per frame, only
triangles with a moved corner) and maps into the neutral frame through that triangle's affine
transform; the same per-triangle morph as masked `warpAffine` calls, minus their seams along shared
edges. The opening inside the target inner contour is then painted as a cavity with a tongue and
teeth rows, anti-aliased and feathered so that MediaPipe still finds the face.

Coordinates are pixels, x right and y down, in MediaPipe's convention: a landmark at normalized x
lies at x * width, and pixel i spans [i, i + 1).
"""

from __future__ import annotations

import cv2
import numpy as np

from mirrorface.errors import MirrorfaceError

# Ordered around each contour (walked from mp.solutions.face_mesh.FACEMESH_LIPS): left mouth
# corner (image left), along the lower lip to the right corner, back along the upper lip. Entry i
# of the inner contour sits opposite entry i of the outer one.
OUTER_LIP_IDS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185)
INNER_LIP_IDS = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191)
# Fixed face-mesh landmarks around the mouth: nose base, cheeks, jaw and chin (symmetric pairs).
ANCHOR_IDS = (2, 326, 327, 427, 434, 430, 378, 377, 152, 148, 149, 210, 214, 207, 98, 97)
N_RINGS = 2  # virtual rings between the outer lip and the anchors

CAVITY = (62, 20, 26)  # RGB, the simulator's mouth colours
TONGUE = (160, 72, 80)
TEETH = (236, 232, 218)
LOWER_TEETH = (214, 208, 194)  # a shade darker, so the rows stay apart where they overlap
TEETH_HEIGHT = 0.18  # fully shown teeth, as a fraction of the inner mouth width
_SHIFT = 4  # sub-pixel bits for OpenCV's drawing functions
_ONE = float(1 << _SHIFT)


def lip_contours(landmarks: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe landmarks (468, 2|3), normalized -> (outer (20, 2), inner (20, 2)) in pixels."""
    xy = np.asarray(landmarks, dtype=np.float64)[:, :2] * (width, height)
    return xy[list(OUTER_LIP_IDS)], xy[list(INNER_LIP_IDS)]


def _ray_exit(center: np.ndarray, dirs: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Distance from `center` along unit `dirs` (N, 2) to the nearest edge of a closed polygon (M, 2)."""
    a, b = polygon, np.roll(polygon, -1, axis=0)
    e, w = b - a, a - center  # edges (M, 2), edge starts relative to the centre
    cross = dirs[:, None, 0] * e[None, :, 1] - dirs[:, None, 1] * e[None, :, 0]  # (N, M)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (w[None, :, 0] * e[None, :, 1] - w[None, :, 1] * e[None, :, 0]) / cross
        s = (w[None, :, 0] * dirs[:, None, 1] - w[None, :, 1] * dirs[:, None, 0]) / cross
    t = np.where((t > 0) & (s >= 0) & (s <= 1) & np.isfinite(t), t, np.inf)
    return t.min(axis=1)


def _stitch(a_ids, a_ang, b_ids, b_ang) -> list[tuple[int, int, int]]:
    """Triangles filling the band between two closed rings given in increasing angle order."""
    n, m = len(a_ids), len(b_ids)
    rel = np.mod(np.asarray(b_ang) - a_ang[0] + np.pi, 2 * np.pi) - np.pi
    j0 = int(np.argmin(np.abs(rel)))
    b_ids = np.roll(b_ids, -j0)
    tb = np.unwrap(np.roll(b_ang, -j0))
    tb = np.append(tb - tb[0] + rel[j0], rel[j0] + 2 * np.pi)
    ta = np.unwrap(a_ang)
    ta = np.append(ta - ta[0], 2 * np.pi)
    tris, i, j = [], 0, 0
    while i < n or j < m:
        if j == m or (i < n and ta[i + 1] <= tb[j + 1]):
            tris.append((a_ids[i], a_ids[(i + 1) % n], b_ids[j % m]))
            i += 1
        else:
            tris.append((a_ids[i % n], b_ids[(j + 1) % m], b_ids[j]))
            j += 1
    return tris


def _axes(outer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corner-to-corner vector of an outer lip contour (px) and the unit vector pointing chin-wards."""
    across = outer[10] - outer[0]
    return across, np.array([-across[1], across[0]]) / max(float(np.linalg.norm(across)), 1e-9)


def _band(pts: np.ndarray, a: range, b: range) -> list[tuple[int, int, int]]:
    """Two triangles per quad between rings whose vertices correspond index by index.

    Each quad is split along the diagonal that keeps both halves the same way round (the better
    of the two smallest areas), so a bent quad at a mouth corner never folds over itself.
    """
    def area(t):
        p, q, r = pts[list(t)]
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    tris = []
    for i in range(len(a)):
        k = (i + 1) % len(a)
        splits = [((a[i], a[k], b[i]), (a[k], b[k], b[i])), ((a[i], a[k], b[k]), (a[i], b[k], b[i]))]
        sign = np.sign(sum(area(t) for t in splits[0])) or 1.0
        tris += max(splits, key=lambda pair: min(sign * area(t) for t in pair))
    return tris


class MouthWarper:
    """Draws target lips onto one neutral frame of a real (or simulated) face.

    Args:
        neutral_frame: (H, W, 3) uint8 RGB, the face at rest.
        neutral_landmarks: (468, 2|3) MediaPipe landmarks of that frame, normalized to [0, 1].
    """

    def __init__(self, neutral_frame: np.ndarray, neutral_landmarks: np.ndarray | None):
        frame = np.array(neutral_frame, order="C", copy=True)  # ours: the caller may reuse theirs
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise MirrorfaceError(f"neutral frame must be (H, W, 3) uint8, not {frame.shape} {frame.dtype}")
        if neutral_landmarks is None:
            raise MirrorfaceError("no face was found in the neutral frame: cannot warp its mouth")
        lm = np.asarray(neutral_landmarks, dtype=np.float64)
        if lm.ndim != 2 or lm.shape[0] < 468 or lm.shape[1] < 2:
            raise MirrorfaceError(f"neutral landmarks must be MediaPipe's (468, 3), got {lm.shape}")
        h, w = frame.shape[:2]
        self.frame = frame
        self.neutral_outer, self.neutral_inner = lip_contours(lm, w, h)
        # MediaPipe puts the inner contour in the middle of the dark line between closed lips; half
        # that line stays on the lip band when the mouth opens, so the cavity is painted that much wider.
        across, down = _axes(self.neutral_outer)
        gap = float((self.neutral_inner[5] - self.neutral_inner[15]) @ down)
        self._pad = float(np.clip(0.5 * gap, 0.0, 0.05 * np.linalg.norm(across)))

        # Vertices in pixel-centre coordinates (pixel i is centred on i): inner, outer, rings, anchors.
        outer, inner = self.neutral_outer - 0.5, self.neutral_inner - 0.5
        center = outer.mean(axis=0)
        anchors = lm[list(ANCHOR_IDS), :2] * (w, h) - 0.5
        ang_anchor = np.arctan2(anchors[:, 1] - center[1], anchors[:, 0] - center[0])
        anchors, ang_anchor = anchors[np.argsort(ang_anchor)], np.sort(ang_anchor)
        r_out = np.linalg.norm(outer - center, axis=1)
        dirs = (outer - center) / np.maximum(r_out, 1e-9)[:, None]
        r_anchor = _ray_exit(center, dirs, anchors)
        if not np.all(r_anchor > 1.1 * r_out):
            raise MirrorfaceError("the neutral landmarks do not surround the mouth: is the face frontal?")
        self._weights = 1.0 - np.arange(1, N_RINGS + 1) / (N_RINGS + 1)  # how much ring k follows the lip
        rings = [center + dirs * (r_out + (1 - wk) * (r_anchor - r_out))[:, None] for wk in self._weights]
        self._src = np.vstack([inner, outer, *rings, anchors])  # (V, 2)

        # Triangles: mouth opening, lip band, ring bands, and the stitch out to the anchors.
        n = len(INNER_LIP_IDS)
        tris = [(0, 1, n - 1), (9, 10, 11)]
        for k in range(1, 9):
            tris += [(k, k + 1, n - k), (k + 1, n - 1 - k, n - k)]
        for r in range(N_RINGS + 1):  # inner -> outer lip, outer lip -> ring 1, ...
            tris += _band(self._src, range(r * n, (r + 1) * n), range((r + 1) * n, (r + 2) * n))
        ang_ring = np.arctan2(dirs[:, 1], dirs[:, 0])
        order = np.argsort(ang_ring)
        last = np.arange((N_RINGS + 1) * n, (N_RINGS + 2) * n)
        tris += _stitch(last[order], ang_ring[order], np.arange(last[-1] + 1, len(self._src)), ang_anchor)
        self.triangles = np.array(tris, dtype=np.int64)  # (T, 3) indices into the vertices

        # The region that can change: the anchors' bounding box, clipped to the frame.
        x0, y0 = np.maximum(np.floor(anchors.min(axis=0)).astype(int) - 1, 0)
        x1, y1 = np.minimum(np.ceil(anchors.max(axis=0)).astype(int) + 2, (w, h))
        self._x0, self._y0, self._x1, self._y1 = int(x0), int(y0), int(x1), int(y1)
        self._gy, self._gx = np.mgrid[y0:y1, x0:x1].astype(np.float32)  # pixel coordinates of the region

    def render(self, outer_lips: np.ndarray, inner_lips: np.ndarray, *,
               upper_teeth: float = 0.0, lower_teeth: float = 0.0) -> np.ndarray:
        """The neutral frame with its lips moved onto the targets.

        Args:
            outer_lips: (20, 2) pixels, target outer lip contour in `OUTER_LIP_IDS` order.
            inner_lips: (20, 2) pixels, target inner lip contour in `INNER_LIP_IDS` order.
            upper_teeth, lower_teeth: visible fraction of each tooth row in [0, 1]
                (1 = `TEETH_HEIGHT` x inner mouth width), shown only where the lips part.

        Returns: (H, W, 3) uint8 RGB, a new array. Targets should stay well inside the anchor ring
        (nose base to chin); lips pushed past it would fold the mesh over.
        """
        outer = np.asarray(outer_lips, dtype=np.float64) - 0.5
        inner = np.asarray(inner_lips, dtype=np.float64) - 0.5
        n = len(INNER_LIP_IDS)
        if outer.shape != (n, 2) or inner.shape != (n, 2):
            raise ValueError(f"lip targets must be ({n}, 2) pixels, got {outer.shape} and {inner.shape}")
        if not (np.isfinite(outer).all() and np.isfinite(inner).all()):
            raise ValueError("lip targets contain NaN or inf")
        src = self._src
        dst = src.copy()
        dst[:n], dst[n : 2 * n] = inner, outer
        shift = outer - src[n : 2 * n]
        for k, wk in enumerate(self._weights):
            dst[n * (2 + k) : n * (3 + k)] += wk * shift

        out = self.frame.copy()
        roi = out[self._y0 : self._y1, self._x0 : self._x1]
        moved = np.abs(dst - src).max(axis=1) > 1e-4
        active = self.triangles[moved[self.triangles].any(axis=1)]
        if len(active):
            roi[:] = self._warp(dst, active)
        self._paint_mouth(out, inner, outer, upper_teeth, lower_teeth)
        return out

    def _warp(self, dst: np.ndarray, tris: np.ndarray) -> np.ndarray:
        """Remap the region so that each triangle of `dst` samples its neutral triangle."""
        d, s = dst[tris], self._src[tris]  # (T, 3, 2) each
        e = np.stack([d[:, 1] - d[:, 0], d[:, 2] - d[:, 0]], axis=2)  # (T, 2, 2) target edges as columns
        f = np.stack([s[:, 1] - s[:, 0], s[:, 2] - s[:, 0]], axis=2)
        det = e[:, 0, 0] * e[:, 1, 1] - e[:, 0, 1] * e[:, 1, 0]  # twice the signed target area
        keep = np.abs(det) > 1e-6  # a flat target triangle covers no pixel
        d, e, f, det = d[keep], e[keep], f[keep], det[keep]
        e_inv = np.stack([np.stack([e[:, 1, 1], -e[:, 0, 1]], 1), np.stack([-e[:, 1, 0], e[:, 0, 0]], 1)], 1)
        lin = f @ (e_inv / det[:, None, None])  # (T, 2, 2): target offsets -> neutral offsets
        shift = s[keep][:, 0] - np.einsum("tij,tj->ti", lin, d[:, 0])
        affine = np.concatenate([lin.transpose(0, 2, 1), shift[:, None]], axis=1).astype(np.float32)
        ids = np.full(self._gx.shape, -1, dtype=np.int32)
        corners = np.round((d - (self._x0, self._y0)) * _ONE).astype(np.int32)
        for t, poly in enumerate(corners):
            cv2.fillConvexPoly(ids, poly, t, lineType=cv2.LINE_8, shift=_SHIFT)
        sel = ids >= 0
        a = affine[ids[sel]]  # (K, 3, 2)
        x, y = self._gx[sel, None], self._gy[sel, None]
        map_x, map_y = self._gx.copy(), self._gy.copy()
        mapped = x * a[:, 0] + y * a[:, 1] + a[:, 2]
        map_x[sel], map_y[sel] = mapped[:, 0], mapped[:, 1]
        return cv2.remap(self.frame, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def _paint_mouth(self, out, inner, outer, upper_teeth, lower_teeth) -> None:
        """Cavity, tongue and teeth inside the target inner contour, blended with soft edges."""
        across, down = _axes(outer)
        opening = float((inner[5] - inner[15]) @ down)  # px, lower minus upper lip at the middle
        if opening <= -1.0:  # crossed lips: no cavity to show
            return
        k = np.arange(len(inner))
        side = np.sign(k - 10.0) * np.abs(np.sin(np.pi * k / 10))  # -1 on the lower lip, +1 upper
        rim = inner - self._pad * side[:, None] * down
        h, w = out.shape[:2]
        x0, y0 = np.maximum(np.floor(rim.min(axis=0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(rim.max(axis=0)).astype(int) + 3, (w, h))
        if x1 <= x0 or y1 <= y0:
            return
        size, origin = (int(y1 - y0), int(x1 - x0)), np.array([x0, y0])

        def mask(poly: np.ndarray) -> np.ndarray:  # (h, w, 1) float32 coverage in [0, 1]
            m = np.zeros(size, np.uint8)
            cv2.fillPoly(m, [np.round((poly - origin) * _ONE).astype(np.int32)], 255, cv2.LINE_AA, _SHIFT)
            return m.astype(np.float32)[..., None] / 255.0

        cavity = cv2.GaussianBlur(mask(rim), (3, 3), 0.6)[..., None]
        color = np.empty(size + (3,), np.float32)
        color[:] = CAVITY
        width = float(np.linalg.norm(inner[10] - inner[0]))
        if opening > max(3.0, 0.06 * width):  # the tongue rests low, its tip behind the lower lip
            tongue = np.zeros(size, np.uint8)
            c = tuple(int(v) for v in np.round((inner[5] + 0.1 * opening * down - origin) * _ONE))
            axes = tuple(int(v) for v in np.round(np.array([0.3 * width, 0.4 * opening]) * _ONE))
            angle = float(np.degrees(np.arctan2(across[1], across[0])))
            cv2.ellipse(tongue, c, axes, angle, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
            color += tongue.astype(np.float32)[..., None] / 255.0 * (np.float32(TONGUE) - color)
        rows = (
            (lower_teeth, rim[:11], -1.0, LOWER_TEETH),
            (upper_teeth, np.vstack([rim[10:], rim[:1]]), 1.0, TEETH),  # upper row drawn last: in front
        )
        for frac, path, sign, shade in rows:
            height = float(np.clip(frac, 0.0, 1.0)) * TEETH_HEIGHT * width
            if height > 0.25:
                a = mask(np.vstack([path, (path + sign * height * down)[::-1]]))
                color += a * (np.float32(shade) - color)
        patch = out[y0:y1, x0:x1].astype(np.float32)
        out[y0:y1, x0:x1] = np.clip(patch + cavity * (color - patch) + 0.5, 0, 255).astype(np.uint8)
