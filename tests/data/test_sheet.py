"""Contact sheets: a grid of evenly spaced, labelled frames."""

from __future__ import annotations

import numpy as np
import pytest

from mirrorface.data.dataset import Dataset
from mirrorface.data.sheet import GAP, contact_sheet, sheet_indices
from mirrorface.data.writer import DatasetWriter
from mirrorface.errors import DatasetError


def frame(i: int) -> np.ndarray:
    return np.full((32, 48, 3), (i * 8) % 256, np.uint8)  # flat: tells frames apart by value


def make(root, n: int) -> Dataset:
    with DatasetWriter(root, fps=10, n_actuators=1, actuator_names=["jaw"], image_size=(32, 48),
                       video=False) as writer:
        for i in range(n):
            if i in (0, 17):
                writer.start_episode()
            writer.add_frame(timestamp=i / 10, action=np.zeros(1), state=np.zeros(1),
                             landmarks=None, image=frame(i))
    return Dataset(root)


def test_indices_are_evenly_spaced():
    indices = sheet_indices(100, 10, seed=0)
    assert len(indices) == 10 and len(set(indices)) == 10
    assert all(0 <= i < 100 for i in indices)
    assert set(np.diff(indices)) <= {9, 10, 11}
    assert sheet_indices(100, 10, seed=1) != indices
    assert sheet_indices(100, 10, seed=0) == indices
    assert sheet_indices(3, 16) == [0, 1, 2]


def test_sheet_grid_and_labels(tmp_path):
    dataset = make(tmp_path, 30)
    sheet = contact_sheet(dataset, n=6, columns=4)
    assert sheet.shape == (2 * 32 + GAP, 4 * 48 + 3 * GAP, 3) and sheet.dtype == np.uint8
    for cell, index in enumerate(sheet_indices(30, 6)):
        y, x = divmod(cell, 4)
        tile = sheet[y * (32 + GAP) : y * (32 + GAP) + 32, x * (48 + GAP) : x * (48 + GAP) + 48]
        # the bottom right shows the frame itself, the top left carries the label
        assert np.array_equal(tile[-8:, -8:], frame(index)[-8:, -8:])
        assert not np.array_equal(tile[:14, :20], frame(index)[:14, :20])
    assert not sheet[32 + GAP :, 2 * (48 + GAP) :].any()  # the two unused cells stay black


def test_sheet_of_empty_dataset(tmp_path):
    DatasetWriter(tmp_path, fps=10, n_actuators=1, actuator_names=["jaw"],
                  image_size=(32, 48)).close()
    with pytest.raises(DatasetError, match="no frames"):
        contact_sheet(Dataset(tmp_path))
