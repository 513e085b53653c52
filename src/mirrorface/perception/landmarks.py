"""MediaPipe face mesh (0.10.21, model inside the wheel): RGB frames -> 468 landmarks.

Landmarks are returned as (468, 3) float32: x and y normalized to the image width and height
(0..1, origin top left), z relative depth in roughly the same scale as x. The same detector runs
on simulator renders and on real camera frames, so perception code never special-cases the sim.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ logging is noise to our users


class FaceMeshDetector:
    """Finds one face per frame.

    Args:
        video: track between consecutive frames (faster, for streams of one face); False treats
            every frame independently.
        min_confidence: detection threshold, MediaPipe's default.
    """

    def __init__(self, *, video: bool = True, min_confidence: float = 0.5):
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=not video, max_num_faces=1, refine_landmarks=False,
            min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence,
        )

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        """Landmarks of the face in an RGB uint8 image, or None when no face is found."""
        result = self._mesh.process(image)
        if not result.multi_face_landmarks:
            return None
        points = result.multi_face_landmarks[0].landmark
        return np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32)

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> FaceMeshDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def lip_indices() -> np.ndarray:
    """The 40 face-mesh landmarks on the lips (outer and inner contours), sorted."""
    import mediapipe as mp

    edges = mp.solutions.face_mesh.FACEMESH_LIPS
    return np.array(sorted({i for edge in edges for i in edge}))
