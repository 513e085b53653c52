"""MediaPipe face mesh (0.10.21, model inside the wheel): RGB frames -> 468 landmarks.

Landmarks are returned as (468, 3) float32: x and y normalized to the image width and height
(0..1, origin top left), z relative depth in roughly the same scale as x. The same detector runs
on simulator renders and on real camera frames, so perception code never special-cases the sim.
"""

from __future__ import annotations

import multiprocessing
import os
import struct

import numpy as np

from mirrorface.errors import DeviceError

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

        self._pending: list[np.ndarray] = []
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

    # The pipelined interface of FaceMeshProcess, so callers can use either.
    def submit(self, image: np.ndarray) -> None:
        self._pending.append(image)

    def result(self) -> np.ndarray | None:
        return self(self._pending.pop(0))

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> FaceMeshDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve(conn, video: bool, min_confidence: float) -> None:
    """The child side of FaceMeshProcess: (height, width, RGB bytes) in, landmark bytes out."""
    with FaceMeshDetector(video=video, min_confidence=min_confidence) as detect:
        while True:
            try:
                message = conn.recv_bytes()
            except (EOFError, OSError):
                return
            height, width = struct.unpack("<II", message[:8])
            image = np.frombuffer(message, np.uint8, offset=8).reshape(height, width, 3)
            landmarks = detect(image)
            conn.send_bytes(b"" if landmarks is None else landmarks.tobytes())


class FaceMeshProcess:
    """FaceMeshDetector in a child process, pipelined: `submit` frames, then take `result`s in order.

    MediaPipe is the heaviest step of babbling; in its own process it runs truly alongside the
    simulator and the dataset writer instead of taking turns with them for the interpreter lock.
    Calling the object (`detect(image)`) submits and waits, like FaceMeshDetector.
    """

    def __init__(self, *, video: bool = True, min_confidence: float = 0.5):
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, video, min_confidence), daemon=True)
        self._process.start()
        child.close()

    def submit(self, image: np.ndarray) -> None:
        height, width = image.shape[:2]
        self._conn.send_bytes(struct.pack("<II", height, width) + np.ascontiguousarray(image, np.uint8).tobytes())

    def result(self) -> np.ndarray | None:
        try:
            message = self._conn.recv_bytes()
        except EOFError:
            raise DeviceError("the MediaPipe process stopped unexpectedly") from None
        return np.frombuffer(message, np.float32).reshape(-1, 3).copy() if message else None

    def __call__(self, image: np.ndarray) -> np.ndarray | None:
        self.submit(image)
        return self.result()

    def close(self) -> None:
        self._conn.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()

    def __enter__(self) -> FaceMeshProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def lip_indices() -> np.ndarray:
    """The 40 face-mesh landmarks on the lips (outer and inner contours), sorted."""
    import mediapipe as mp

    edges = mp.solutions.face_mesh.FACEMESH_LIPS
    return np.array(sorted({i for edge in edges for i in edge}))
