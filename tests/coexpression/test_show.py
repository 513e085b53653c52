"""The side-by-side picture of the person's landmarks and the robot's face."""

import numpy as np

from mirrorface.coexpression.show import BACKGROUND, draw_person, side_by_side


def test_a_face_is_drawn_inside_the_picture_and_no_face_says_so():
    face = np.random.default_rng(0).uniform([0.3, 0.38], [0.7, 0.85], (113, 2))  # the canonical frame's face
    picture = draw_person(face)
    assert picture.shape == (256, 256, 3) and picture.dtype == np.uint8
    drawn = np.any(picture != BACKGROUND, axis=-1)
    assert drawn.sum() > 113 * 4
    assert not drawn[:8].any() and not drawn[-8:].any()  # nothing cut at the top or bottom edge
    assert np.any(draw_person(None) != BACKGROUND)


def test_side_by_side_matches_heights_and_adds_a_caption_strip():
    robot = np.zeros((256, 256, 3), np.uint8)
    frame = side_by_side(draw_person(None, size=128), robot, "coexpress", flash=True)
    assert frame.shape == (256 + 28, 512, 3)
    assert tuple(frame[1, 1]) == (230, 40, 40)  # a peak activation rims the person in red
