"""Writing images to disk (OpenCV wants BGR; everything in mirrorface is RGB)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from mirrorface.errors import MirrorfaceError


def save_image(path: str | Path, rgb: np.ndarray) -> Path:
    """Write an RGB uint8 image; the format follows the suffix (.png, .jpg)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        ok = cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    except cv2.error:
        ok = False
    if not ok:
        raise MirrorfaceError(f"{path}: cannot write an image there (use a .png or .jpg name)")
    return path


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file as RGB uint8 (even width and height, as video needs)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise MirrorfaceError(f"{path}: not an image file OpenCV can read")
    h, w = image.shape[:2]
    return cv2.cvtColor(image[: h - h % 2, : w - w % 2], cv2.COLOR_BGR2RGB)


def grid(images: list[np.ndarray], columns: int) -> np.ndarray:
    """Tile equally sized images into rows of `columns`, padding the last row with black."""
    h, w, c = images[0].shape
    rows = -(-len(images) // columns)
    out = np.zeros((rows * h, columns * w, c), np.uint8)
    for k, im in enumerate(images):
        r, q = divmod(k, columns)
        out[r * h : (r + 1) * h, q * w : (q + 1) * w] = im
    return out
