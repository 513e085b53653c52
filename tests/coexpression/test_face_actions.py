"""The action units the synthetic humans are made of move the face the way FACS describes."""

import numpy as np

from mirrorface.coexpression.face_actions import NAMES, action_basis, eye_span
from mirrorface.perception.subset import RIGID, template

FACE = template()
BASIS = dict(zip(NAMES, action_basis(FACE), strict=True))
SPAN = eye_span(FACE)


def test_every_action_moves_the_face_and_not_the_landmarks_that_fix_the_pose():
    for name, field in BASIS.items():
        moved = np.linalg.norm(field, axis=1)
        assert moved.max() > 0.01 * SPAN, name
        assert moved[list(RIGID)].max() < 0.15 * moved.max(), name  # head normalisation stays unbiased


def test_a_smile_pulls_both_corners_up_and_out():
    smile = BASIS["AU12"]
    for corner in (61, 291):
        outward = np.sign(FACE[corner, 0] - FACE[1, 0])
        assert smile[corner, 1] < -0.03 * SPAN  # y runs down
        assert smile[corner, 0] * outward > 0.03 * SPAN


def test_the_jaw_drops_the_lower_lip_and_leaves_the_upper_lip():
    jaw = BASIS["AU26"]
    assert jaw[152, 1] > 0.1 * SPAN and jaw[14, 1] > 0.08 * SPAN  # chin and inner lower lip
    assert abs(jaw[13, 1]) < 0.01 * SPAN  # inner upper lip, a hair's breadth above the lower one


def test_closing_the_eyes_brings_the_upper_lids_to_the_lower_ones_and_leaves_the_brows():
    closed = FACE + BASIS["AU43"]
    for upper, lower in ((159, 145), (386, 374)):
        assert abs(closed[upper, 1] - FACE[lower, 1]) < 0.1 * (FACE[lower, 1] - FACE[upper, 1])
    assert np.abs(BASIS["AU43"][[105, 334, 107, 336]]).max() < 0.01 * SPAN


def test_brow_actions_move_brows_up_or_down():
    assert BASIS["AU1"][107, 1] < -0.05 * SPAN and BASIS["AU2"][70, 1] < -0.05 * SPAN
    assert BASIS["AU4"][107, 1] > 0.03 * SPAN
