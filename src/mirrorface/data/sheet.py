"""A contact sheet: a grid of frames sampled across a dataset, for a quick look at it."""

from __future__ import annotations

import math

import cv2
import numpy as np

from mirrorface.constants import IMAGE
from mirrorface.data.dataset import Dataset
from mirrorface.errors import DatasetError

GAP = 2  # pixels between cells


def sheet_indices(total: int, n: int, seed: int = 0) -> list[int]:
    """`n` evenly spaced global frame indices in [0, total); `seed` shifts the whole comb
    by a random fraction of one spacing, so different seeds show different frames."""
    n = min(n, total)
    step = total / n
    offset = np.random.default_rng(seed).uniform(0.0, step)
    return [min(total - 1, int(offset + k * step)) for k in range(n)]


def _label(image: np.ndarray, text: str) -> None:
    """Write `text` in the top-left corner, white on a dark outline so it reads on any frame."""
    scale = max(0.35, image.shape[0] / 400)
    origin = (4, 4 + int(22 * scale))
    for color, thickness in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, color, thickness,
                    cv2.LINE_AA)


def contact_sheet(dataset: Dataset, n: int = 16, columns: int = 4, seed: int = 0) -> np.ndarray:
    """An RGB uint8 grid of `n` evenly spaced frames, each labelled with its global index.

    Fewer cells when the dataset has fewer than `n` frames; `DatasetError` if it has none.
    """
    if n < 1 or columns < 1:
        raise ValueError(f"need n >= 1 and columns >= 1, got n={n}, columns={columns}")
    if len(dataset) == 0:
        raise DatasetError(f"{dataset.root} has no frames to show")
    indices = sheet_indices(len(dataset), n, seed)
    columns = min(columns, len(indices))
    rows = math.ceil(len(indices) / columns)
    height, width = dataset.info["features"][IMAGE]["shape"][:2]
    sheet = np.zeros((rows * (height + GAP) - GAP, columns * (width + GAP) - GAP, 3), np.uint8)
    for cell, index in enumerate(indices):
        frame = np.ascontiguousarray(dataset.image(index))
        _label(frame, str(index))
        y, x = divmod(cell, columns)
        y, x = y * (height + GAP), x * (width + GAP)
        sheet[y : y + height, x : x + width] = frame
    return sheet
