import numpy as np
import pytest

from mirrorface.errors import DatasetError
from mirrorface.lipsync.crop import MouthCrop, crop_from_landmarks, to_chw
from mirrorface.perception.landmarks import lip_indices


def test_crop_cuts_and_resizes():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[40:60, 40:60] = 255  # a white square, exactly the crop
    out = MouthCrop(40, 40, 20, 10)(frame)
    assert out.shape == (10, 10, 3)
    assert out.min() == 255


def test_crop_past_the_border_repeats_the_edge():
    frame = np.full((50, 50, 3), 7, np.uint8)
    out = MouthCrop(-10, 30, 40, 8)(np.stack([frame, frame]))
    assert out.shape == (2, 8, 8, 3)
    assert (out == 7).all()  # no black band


def test_crop_from_landmarks_covers_every_lip_point():
    rng = np.random.default_rng(0)
    landmarks = np.full((30, 468, 3), 0.5, np.float32)
    lips = lip_indices()
    landmarks[:, lips, 0] = rng.uniform(0.3, 0.6, (30, len(lips)))
    landmarks[:, lips, 1] = rng.uniform(0.55, 0.8, (30, len(lips)))
    landmarks[3] = np.nan  # a frame without a face is skipped
    crop = crop_from_landmarks(landmarks, 200, 200, out=32, margin=0.1)
    assert crop.out == 32
    assert crop.x <= 0.3 * 200 and crop.x + crop.size >= 0.6 * 200
    assert crop.y <= 0.55 * 200 and crop.y + crop.size >= 0.8 * 200
    assert crop.size <= 0.3 * 200 * 1.3


def test_crop_needs_a_face():
    with pytest.raises(DatasetError):
        crop_from_landmarks(np.full((5, 468, 3), np.nan), 100, 100, 32)


def test_to_chw_is_channels_first_unit_range_float32():
    crops = np.zeros((2, 4, 4, 3), np.uint8)
    crops[..., 1] = 255  # green only: the channel must land on axis 1, index 1
    crops[1, 0, 3, 2] = 51
    t = to_chw(crops)
    assert t.shape == (2, 3, 4, 4) and t.dtype == np.float32 and t.flags.c_contiguous
    assert (t[:, 1] == 1.0).all() and (t[:, 0] == 0.0).all() and t[1, 2, 0, 3] == np.float32(0.2)


def test_a_crop_inside_the_frame_is_a_render_window_and_its_resize_matches():
    frame = np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    crop = MouthCrop(30, 40, 50, 16)
    x, y, w, h = crop.window(100, 100)
    assert np.array_equal(crop.resize(frame[y : y + h, x : x + w]), crop(frame))
    assert MouthCrop(-10, 30, 40, 8).window(100, 100) is None  # past the border: crop full frames instead
    assert MouthCrop(70, 70, 40, 8).window(100, 100) is None
