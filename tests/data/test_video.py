"""Fragmented-MP4 video: round trip, seeking, and reading files cut short by a crash."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorface.data.video import VideoWriter, count_frames, intact_length, read_frames, trim
from mirrorface.errors import DatasetError

FPS = 10


def frame(i: int, size: int = 64) -> np.ndarray:
    """A smooth gradient whose flat blue level tells frames apart."""
    y, x = np.mgrid[0:size, 0:size]
    img = np.stack([x * 3 + i, y * 3, np.full_like(x, (i * 37) % 256)], -1)
    return img.clip(0, 255).astype(np.uint8)


def write_video(path, n: int) -> list[np.ndarray]:
    frames = [frame(i) for i in range(n)]
    with VideoWriter(path, FPS, 64, 64) as writer:
        for f in frames:
            writer.write(f)
    return frames


def boxes(path) -> list[tuple[int, bytes, int]]:
    """(offset, type, size) of the top-level MP4 boxes."""
    data, out, offset = path.read_bytes(), [], 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        out.append((offset, kind, size))
        offset += size
    return out


def test_round_trip_is_near_lossless(tmp_path):
    path = tmp_path / "v.mp4"
    frames = write_video(path, 25)
    got = list(read_frames(path))
    assert count_frames(path) == 25
    assert len(got) == 25 and got[0].shape == (64, 64, 3) and got[0].dtype == np.uint8
    errors = [np.abs(g.astype(int) - f).mean() for g, f in zip(got, frames, strict=True)]
    assert max(errors) < 2.0
    # each decoded frame is closest to its own source frame: order is kept
    for i, g in enumerate(got):
        assert np.argmin([np.abs(g.astype(int) - f).mean() for f in frames]) == i


@pytest.mark.parametrize(("start", "stop"), [(0, 3), (4, 5), (10, 12), (13, 25), (24, None),
                                             (25, None), (40, 50), (7, 7)])
def test_read_range_matches_full_decode(tmp_path, start, stop):
    path = tmp_path / "v.mp4"
    write_video(path, 25)
    full = list(read_frames(path))
    got = list(read_frames(path, start, stop))
    expected = full[start:stop]
    assert len(got) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))


def test_unclosed_writer_has_all_but_the_last_frame_on_disk(tmp_path):
    # What a kill -9 leaves: the file as it is before close(). The muxer completes a frame's
    # fragment when the next one arrives, so all but the last written frame must decode.
    path = tmp_path / "v.mp4"
    writer = VideoWriter(path, FPS, 64, 64)
    for i in range(13):
        writer.write(frame(i))
    snapshot = tmp_path / "snapshot.mp4"
    snapshot.write_bytes(path.read_bytes())
    assert count_frames(snapshot) == 12
    writer.close()


def test_truncated_file_decodes_its_intact_prefix(tmp_path):
    path = tmp_path / "v.mp4"
    write_video(path, 30)
    full = list(read_frames(path))
    data = path.read_bytes()
    moofs = [offset for offset, kind, _ in boxes(path) if kind == b"moof"]
    # cut inside a fragment's sample table (FFmpeg alone rejects such a file), inside frame
    # data, and just short of the end
    cuts = [moofs[11] + 20, moofs[11] - 5, moofs[20] + 50, len(data) - 1]
    counts = []
    for cut in cuts:
        cut_path = tmp_path / f"cut{cut}.mp4"
        cut_path.write_bytes(data[:cut])
        n = count_frames(cut_path)
        got = list(read_frames(cut_path))
        assert len(got) == n
        assert all(np.array_equal(a, b) for a, b in zip(got, full, strict=False))
        counts.append(n)
    assert counts[0] == 11  # the fragments before the cut moof
    assert counts[1] == 10  # the 11th frame's data is cut short: it does not count
    assert 11 < counts[2] < 30 and counts[3] == 30


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    path = tmp_path_factory.mktemp("clip") / "v.mp4"
    write_video(path, 30)
    return path, list(read_frames(path))


@settings(max_examples=30, deadline=None)
@given(fraction=st.floats(0.0, 1.0))
def test_any_cut_keeps_exactly_the_complete_frames(clip, fraction):
    path, full = clip
    data = path.read_bytes()
    cut = int(fraction * len(data))
    # one frame per fragment: the frames on disk are the mdat boxes that end before the cut
    whole = sum(1 for offset, kind, size in boxes(path) if kind == b"mdat" and offset + size <= cut)
    with tempfile.TemporaryDirectory() as scratch:
        cut_path = Path(scratch) / "cut.mp4"
        cut_path.write_bytes(data[:cut])
        try:
            got = list(read_frames(cut_path))
        except DatasetError:
            assert whole == 0  # cut before the header and first frame were complete
            return
        assert len(got) == whole == count_frames(cut_path)
        assert all(np.array_equal(a, b) for a, b in zip(got, full, strict=False))


def test_trim_cuts_back_to_intact_boxes(tmp_path):
    path = tmp_path / "v.mp4"
    write_video(path, 12)
    moof = [offset for offset, kind, _ in boxes(path) if kind == b"moof"][5]
    path.write_bytes(path.read_bytes()[: moof + 30])
    assert intact_length(path) == moof
    assert trim(path) == moof and path.stat().st_size == moof
    assert count_frames(path) == 5


def test_missing_or_garbage_file_raises(tmp_path):
    with pytest.raises(DatasetError, match="nope.mp4"):
        count_frames(tmp_path / "nope.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(DatasetError, match="junk.mp4"):
        list(read_frames(junk))


def test_writer_rejects_bad_frames(tmp_path):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "odd.mp4", FPS, 63, 64)
    with VideoWriter(tmp_path / "v.mp4", FPS, 64, 64) as writer:
        with pytest.raises(ValueError, match="uint8"):
            writer.write(np.zeros((64, 64, 3), np.float32))
        with pytest.raises(ValueError):
            writer.write(np.zeros((32, 64, 3), np.uint8))
