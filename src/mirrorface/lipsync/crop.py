"""The mouth crop the VAE sees: one fixed square of the camera frame, found from the babbling.

The square is the bounding box of every lip landmark MediaPipe found over the babbling dataset
(the widest smile, the lowest jaw), grown by a margin and made square. It is fixed for a face:
a moving crop would hide the jaw's motion from the latent. The same crop is applied to the
robot's frames and to the synthesized speaking frames, which share the camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from mirrorface.errors import DatasetError
from mirrorface.perception.landmarks import lip_indices

if TYPE_CHECKING:
    from mirrorface.models.configs import VAEConfig


@dataclass(frozen=True)
class MouthCrop:
    x: int  # left, pixels
    y: int  # top, pixels
    size: int  # side, pixels
    out: int  # side after resizing, pixels

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(H, W, 3) or (B, H, W, 3) uint8 -> (..., out, out, 3) uint8."""
        single = frames.ndim == 3
        batch = frames[None] if single else frames
        h, w = batch.shape[1:3]
        pad = max(0, -self.x, -self.y, self.x + self.size - w, self.y + self.size - h)
        if pad:  # a crop reaching past the border sees edge pixels, not a black band
            batch = np.pad(batch, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
        x, y = self.x + pad, self.y + pad
        region = batch[:, y : y + self.size, x : x + self.size]
        return self.resize(region[0]) if single else self.resize(region)

    def resize(self, region: np.ndarray) -> np.ndarray:
        """The crop's own pixels, (size, size, 3) or (B, size, size, 3) uint8 -> (..., out, out, 3)."""
        if region.ndim == 3:
            return cv2.resize(region, (self.out, self.out), interpolation=cv2.INTER_AREA)
        return np.stack([self.resize(r) for r in region])

    def window(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        """The square as a render window (x, y, w, h) of a width x height frame; None if it reaches past it."""
        inside = self.x >= 0 and self.y >= 0 and self.x + self.size <= width and self.y + self.size <= height
        return (self.x, self.y, self.size, self.size) if inside else None


def crop_from_landmarks(landmarks: np.ndarray, width: int, height: int, out: int, margin: float = 0.15) -> MouthCrop:
    """The square around all lip landmarks (N, 468, 3; NaN rows skipped), grown by `margin` each side."""
    lips = landmarks[:, lip_indices(), :2]
    lips = lips[~np.isnan(lips).any(axis=(1, 2))]
    if len(lips) == 0:
        raise DatasetError("no frame of the dataset has face landmarks: cannot place the mouth crop")
    xs, ys = lips[..., 0] * width, lips[..., 1] * height
    x0, x1 = np.percentile(xs, 0.1), np.percentile(xs, 99.9)  # robust to a few bad detections
    y0, y1 = np.percentile(ys, 0.1), np.percentile(ys, 99.9)
    size = int(np.ceil(max(x1 - x0, y1 - y0) * (1 + 2 * margin)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return MouthCrop(int(round(cx - size / 2)), int(round(cy - size / 2)), size, out)


def crop_of(config: VAEConfig) -> MouthCrop:
    """The crop a VAE's latents are defined on."""
    return MouthCrop(config.crop_x, config.crop_y, config.crop_size, config.image_size)


def to_chw(crops: np.ndarray) -> np.ndarray:
    """(B, S, S, 3) uint8 -> (B, 3, S, S) float32 in [0, 1]: the VAE's input, on PyTorch or onnxruntime."""
    return np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)
