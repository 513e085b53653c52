"""The mouth warp on a real simulator render, checked through MediaPipe as a real robot would be."""

import cv2
import numpy as np
import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import load_spec
from mirrorface.perception.landmarks import FaceMeshDetector
from mirrorface.targets.warp import ANCHOR_IDS, INNER_LIP_IDS, OUTER_LIP_IDS, MouthWarper, lip_contours

OPEN_PX = 12.0  # how far the test moves the middle of the lower lip down
GAP_TOLERANCE_PX = 4.0  # MediaPipe reads open mouths about 2.5 px short on the simulated face


@pytest.fixture(scope="module")
def detector():
    with FaceMeshDetector(video=False) as det:
        yield det


@pytest.fixture(scope="module")
def neutral(detector):
    face = Painter(load_spec("lips10"))
    img = face.render_pose(face.spec.neutral)
    landmarks = detector(img)
    assert landmarks is not None
    return img, landmarks


@pytest.fixture(scope="module")
def warper(neutral):
    return MouthWarper(*neutral)


def opened(landmarks, width, height, px=OPEN_PX):
    """Lip targets with the lower lip (inner and outer) dropped by `px`, tapering to the corners."""
    outer, inner = lip_contours(landmarks, width, height)
    drop = px * np.sin(np.pi * np.arange(11) / 10)
    outer[:11, 1] += drop
    inner[:11, 1] += drop
    return outer, inner


def test_lip_ids_are_the_facemesh_lip_contours_in_order():
    import mediapipe as mp

    nbrs: dict[int, set[int]] = {}
    for a, b in mp.solutions.face_mesh.FACEMESH_LIPS:
        nbrs.setdefault(a, set()).add(b)
        nbrs.setdefault(b, set()).add(a)

    def walk(start, second):
        path = [start, second]
        while True:
            (nxt,) = nbrs[path[-1]] - {path[-2]}
            if nxt == start:
                return tuple(path)
            path.append(nxt)

    assert walk(61, 146) == OUTER_LIP_IDS
    assert walk(78, 95) == INNER_LIP_IDS
    assert len(set(ANCHOR_IDS) & (set(OUTER_LIP_IDS) | set(INNER_LIP_IDS))) == 0


def test_mesh_tiles_the_region_inside_the_anchors(warper):
    src = warper._src
    tri = src[warper.triangles]
    areas = 0.5 * np.abs(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]))
    ring = src[-len(ANCHOR_IDS) :]  # anchors, sorted around the mouth
    x, y = ring[:, 0], ring[:, 1]
    hull = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    assert areas.sum() == pytest.approx(hull, rel=1e-6)  # no overlaps, no holes


def test_identity_targets_reproduce_the_frame(neutral, warper):
    img, landmarks = neutral
    outer, inner = lip_contours(landmarks, img.shape[1], img.shape[0])
    out = warper.render(outer, inner)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - img).mean() < 0.5


def test_opening_the_lips_opens_the_mouth_mediapipe_sees(neutral, warper, detector):
    img, landmarks = neutral
    h, w = img.shape[:2]
    out = warper.render(*opened(landmarks, w, h))
    seen = detector(out)
    assert seen is not None
    (o0, i0), (o1, i1) = lip_contours(landmarks, w, h), lip_contours(seen, w, h)
    inner_gap = (i1[5, 1] - i1[15, 1]) - (i0[5, 1] - i0[15, 1])  # landmarks 14 and 13
    assert inner_gap == pytest.approx(OPEN_PX, abs=GAP_TOLERANCE_PX)
    outer_drop = o1[5, 1] - o0[5, 1]  # landmark 17, the bottom of the lower lip
    assert outer_drop == pytest.approx(OPEN_PX, abs=GAP_TOLERANCE_PX)
    assert abs(i1[15, 1] - i0[15, 1]) < 2.0  # the upper lip stayed put


def test_pixels_far_from_the_mouth_are_untouched(neutral, warper):
    img, landmarks = neutral
    h, w = img.shape[:2]
    out = warper.render(*opened(landmarks, w, h), upper_teeth=1.0, lower_teeth=1.0)
    anchors = landmarks[list(ANCHOR_IDS), :2] * (w, h)
    x0, y0 = np.floor(anchors.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(anchors.max(axis=0)).astype(int) + 2
    outside = np.ones((h, w), bool)
    outside[max(y0, 0) : y1, max(x0, 0) : x1] = False
    assert outside[: h // 2].all()  # eyes, brows and nose tip are all outside
    assert np.array_equal(out[outside], img[outside])
    assert np.abs(out.astype(int) - img).sum() > 0


def test_teeth_fraction_controls_bright_pixels_in_the_cavity(neutral, warper):
    img, landmarks = neutral
    h, w = img.shape[:2]
    outer, inner = opened(landmarks, w, h)
    cavity = np.zeros((h, w), np.uint8)
    cv2.fillPoly(cavity, [np.round(inner - 0.5).astype(np.int32)], 1)
    cavity = cv2.erode(cavity, np.ones((3, 3), np.uint8)).astype(bool)  # stay clear of the soft edge

    def bright(**teeth):
        out = warper.render(outer, inner, **teeth)
        return int((out[cavity].min(axis=1) > 180).sum())

    none, upper, both = bright(), bright(upper_teeth=1.0), bright(upper_teeth=1.0, lower_teeth=1.0)
    assert none == 0
    assert upper > 0.2 * cavity.sum()
    assert both > upper
    assert bright(upper_teeth=0.3) < upper


def test_bad_inputs_get_clear_errors(neutral, warper):
    img, landmarks = neutral
    with pytest.raises(MirrorfaceError, match="no face"):
        MouthWarper(img, None)
    with pytest.raises(MirrorfaceError, match="uint8"):
        MouthWarper(img.astype(np.float32), landmarks)
    with pytest.raises(ValueError, match="20, 2"):
        warper.render(np.zeros((10, 2)), np.zeros((20, 2)))
    outer, inner = lip_contours(landmarks, img.shape[1], img.shape[0])
    inner[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        warper.render(outer, inner)
