"""Pictures of the loop: the person's landmarks beside the robot's face, one frame per tick."""

from __future__ import annotations

import cv2
import numpy as np

from mirrorface.perception.subset import N_UPPER

BACKGROUND = (28, 28, 32)
UPPER_COLOUR, LOWER_COLOUR = (120, 200, 255), (255, 170, 120)
CENTRE = np.array([0.5, 0.6])


def draw_person(landmarks: np.ndarray | None, size: int = 256) -> np.ndarray:
    """(113, 2) canonical landmarks (the face spans about 0.25-0.75) -> (size, size, 3) RGB dots."""
    image = np.full((size, size, 3), BACKGROUND, np.uint8)
    if landmarks is None:
        cv2.putText(image, "no face", (size // 3, size // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (200, 200, 200), 1)
        return image
    # The canonical frame puts the 113 landmarks (brows to chin) around (0.5, 0.6), about 0.45 across:
    # zoom them to fill the picture.
    points = np.round(((landmarks - CENTRE) * 1.8 + 0.5) * size).astype(int)
    for k, (x, y) in enumerate(points):
        cv2.circle(image, (int(x), int(y)), 2, UPPER_COLOUR if k < N_UPPER else LOWER_COLOUR, -1, cv2.LINE_AA)
    return image


def side_by_side(person: np.ndarray, robot: np.ndarray, caption: str, flash: bool = False) -> np.ndarray:
    """Both pictures in one frame (heights matched), a caption below; a red rim marks a peak activation."""
    height = robot.shape[0]
    if person.shape[0] != height:
        person = cv2.resize(person, (person.shape[1] * height // person.shape[0], height))
    frame = np.concatenate([person, robot], axis=1)
    strip = np.full((28, frame.shape[1], 3), BACKGROUND, np.uint8)
    cv2.putText(strip, caption, (8, 19), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (230, 230, 230), 1, cv2.LINE_AA)
    frame = np.concatenate([frame, strip], axis=0)
    if flash:
        cv2.rectangle(frame, (1, 1), (person.shape[1] - 2, height - 2), (230, 40, 40), 3)
    return frame
