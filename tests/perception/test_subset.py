"""The 113-landmark subset and head-pose normalisation."""

import mediapipe as mp
import numpy as np
import pytest

from mirrorface.face.sim.painter import Painter
from mirrorface.face.sim.skin import rot_x, rot_y, rot_z
from mirrorface.perception.landmarks import FaceMeshDetector
from mirrorface.perception.subset import (
    LOWER,
    RIGID,
    SUBSET,
    UPPER,
    landmarks_of_frames,
    normalize_head,
    subset,
    template,
)

MESH = mp.solutions.face_mesh


def _points(edges) -> set[int]:
    return {i for edge in edges for i in edge}


def _posed(face: np.ndarray, degrees=(12.0, -25.0, 8.0), scale=0.7, shift=(0.6, 0.45, 0.1)) -> np.ndarray:
    """A face turned, scaled and moved as a head in a camera frame would be."""
    rotation = rot_x(degrees[0]) @ rot_y(degrees[1]) @ rot_z(degrees[2])
    return scale * (face - face.mean(0)) @ rotation.T + np.array(shift)


def test_the_paper_counts_and_mediapipes_own_contours():
    assert (len(UPPER), len(LOWER), len(set(SUBSET))) == (52, 61, 113)
    assert set(UPPER) == _points(MESH.FACEMESH_LEFT_EYE | MESH.FACEMESH_RIGHT_EYE | MESH.FACEMESH_LEFT_EYEBROW
                                 | MESH.FACEMESH_RIGHT_EYEBROW)
    assert _points(MESH.FACEMESH_LIPS) <= set(LOWER)
    assert not set(RIGID) & set(SUBSET)  # the pose is fitted on landmarks the subset does not report


def test_the_subset_is_mirror_symmetric():
    """Every kept landmark's mirror image is kept too, so left and right sides weigh the same."""
    face = template()[list(SUBSET)]
    mirrored = face.copy()
    mirrored[:, 0] = 2 * template()[1, 0] - face[:, 0]
    nearest = np.linalg.norm(mirrored[:, None, :2] - face[None, :, :2], axis=-1).min(1)
    assert nearest.max() < 0.02  # of a face 0.48 wide: the partner sits where the mirror image is


def test_normalize_head_undoes_pose_scale_position_and_aspect():
    face = template()
    aspect = 640 / 480
    camera = _posed(face) / [aspect, 1.0, aspect]  # MediaPipe divides x and z by the frame width
    assert np.abs(normalize_head(camera, aspect=aspect) - face).max() < 1e-5
    assert np.abs(normalize_head(camera) - face).max() > 0.01  # the aspect matters


def test_normalize_head_is_idempotent_and_batched():
    faces = np.stack([_posed(template(), (d, -d, 0.5 * d)) for d in (0.0, 10.0, 20.0)])
    once = normalize_head(faces)
    assert once.shape == (3, 468, 3) and once.dtype == np.float32
    assert np.abs(normalize_head(once) - once).max() < 1e-5
    assert np.abs(once - template()).max() < 1e-5


def test_an_expression_survives_normalisation():
    """Only the rigid landmarks fix the pose, so a moved mouth stays moved."""
    face = template().copy()
    face[61, 1] -= 0.02  # one mouth corner up
    normal = subset(_posed(face))
    row = SUBSET.index(61)
    assert normal[row, 1] == pytest.approx(template()[61, 1] - 0.02, abs=1e-5)


def test_subset_of_3d_normalises_and_of_2d_selects():
    posed = _posed(template())
    assert subset(posed).shape == (113, 2)
    assert np.abs(subset(posed) - template()[list(SUBSET), :2]).max() < 1e-5
    flat = posed[:, :2]
    assert np.array_equal(subset(flat), flat[list(SUBSET)].astype(np.float32))
    with pytest.raises(ValueError):
        subset(np.zeros((10, 3)))
    with pytest.raises(ValueError):
        normalize_head(np.zeros((468, 2)))


def test_the_template_is_what_mediapipe_sees_on_the_neutral_simulated_face(emo26):
    """Provenance of face_template.json: MediaPipe on the emo26 neutral render (seed 0)."""
    frame = Painter(emo26, seed=0).render_pose(emo26.neutral)
    with FaceMeshDetector(video=False) as detect:
        seen = detect(frame)
    assert np.abs(seen - template()).max() < 0.01


def test_landmarks_of_frames_marks_frames_without_a_face(emo26):
    face = Painter(emo26, seed=1)
    frames = [face.render_pose(emo26.neutral), np.zeros((256, 256, 3), np.uint8)]
    landmarks = landmarks_of_frames(frames, video=False)
    assert landmarks.shape == (2, 113, 2)
    assert np.isfinite(landmarks[0]).all() and np.isnan(landmarks[1]).all()
    assert np.abs(landmarks[0] - template()[list(SUBSET), :2]).max() < 0.01
