"""Crash-tolerant MP4 video for datasets: write with H.264, read back as RGB frames.

The writer produces a *fragmented* MP4 (an empty `moov` up front, then one `moof`+`mdat` pair
per fragment), so a file cut short by a crash still decodes up to the last sample that reached the
disk; a plain MP4 would be unreadable without the `moov` it writes on close. Each frame is its own
fragment, the encoder is tuned for zero latency (no lookahead, no B-frames, no frame threads) and
every fragment is handed to the OS as soon as it is complete (`flush_packets`). The muxer
completes a frame's fragment when the next frame arrives (it takes the sample's duration from the
next timestamp), so a `kill -9` loses only the last frame written. Keyframes still come once per
second so seeking stays cheap.

Why one fragment per frame: with `frag_keyframe` alone, a whole second of video sits in the
muxer until the next keyframe, so the video, not the journal, would bound what a crash loses.
The cost is about 100 bytes of `moof` per frame (under 1 % at 256 x 256).

Encoding is near-lossless (CRF 12, yuv420p; almost all of the error is the 4:2:0 chroma
subsampling) and cheap. Measured on 2 cores with 256 x 256 renders of the simulated face, per
frame: ultrafast 0.8 ms (11 KiB), superfast 1.6 ms, veryfast 2.9 ms, all at the same error.
Decoding costs about 0.3 ms a frame.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import struct
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from mirrorface.errors import DatasetError

CODEC = "libx264"
PRESET = "ultrafast"
PIXEL_FORMAT = "yuv420p"
MOVFLAGS = "frag_keyframe+frag_every_frame+empty_moov+default_base_moof"


def _rate(fps: float) -> Fraction:
    """A frame rate as an exact fraction (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Append RGB frames to a fragmented H.264 MP4 that survives being killed mid-write.

    `write` encodes one (height, width, 3) uint8 RGB frame; `close` flushes the encoder and writes
    the trailer. Width and height must be even (a yuv420p requirement).
    """

    def __init__(self, path: Path | str, fps: float, width: int, height: int, crf: int = 12):
        if width % 2 or height % 2:
            raise ValueError(f"video frames must have even width and height, got {width}x{height}")
        self.path = Path(path)
        self.width, self.height = width, height
        self.frames_written = 0
        self._container = av.open(
            str(self.path),
            mode="w",
            format="mp4",
            # flush_packets: push every packet (here: every fragment) to the OS at once,
            # instead of holding up to 32 KiB in FFmpeg's I/O buffer.
            options={"movflags": MOVFLAGS, "flush_packets": "1"},
        )
        rate = _rate(fps)
        self._stream = self._container.add_stream(CODEC, rate=rate)
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = PIXEL_FORMAT
        self._stream.time_base = 1 / rate
        self._stream.codec_context.gop_size = max(1, round(fps))  # one keyframe a second
        # zerolatency: each frame comes out of the encoder as soon as it goes in, so nothing
        # sits in x264's queues when the process dies. Sliced threads keep it multi-core.
        self._stream.options = {"crf": str(crf), "preset": PRESET, "tune": "zerolatency"}

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB uint8 frame of the size given at construction."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"expected a ({self.height}, {self.width}, 3) uint8 frame, "
                f"got {frame.shape} {frame.dtype}"
            )
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        vf.pts = self.frames_written
        self._container.mux(self._stream.encode(vf))
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file; safe to call twice."""
        if self._container is None:
            return
        self._container.mux(self._stream.encode(None))
        self._container.close()
        self._container = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _boxes(path: Path | str) -> Iterator[tuple[int, bytes, int]]:
    """(offset, type, size) of each top-level MP4 box, up to the first one a crash cut short.

    A cut box is yielded with the size it claims; a cut header or garbage ends the walk.
    """
    size = os.path.getsize(path)
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            f.seek(offset)
            head = f.read(16)
            if len(head) < 8:
                return
            box_size, kind = struct.unpack(">I4s", head[:8])
            if box_size == 1:  # 64-bit size follows the type
                if len(head) < 16:
                    return
                box_size = struct.unpack(">Q", head[8:16])[0]
            elif box_size == 0:  # "extends to the end of the file"
                box_size = size - offset
            if box_size < 8:
                return  # not a box: garbage from here on
            yield offset, kind, box_size
            offset += box_size


def intact_length(path: Path | str) -> int:
    """How many leading bytes of an MP4 form whole top-level boxes.

    A crash can cut the file inside a box. A cut `mdat` (the frame data) is harmless: the samples
    before the cut are whole and FFmpeg reads them. A cut `moof` (a fragment's sample table) makes
    FFmpeg refuse the whole file, so the intact part ends where that box starts.
    """
    size = os.path.getsize(path)
    intact = 0
    for offset, kind, box_size in _boxes(path):
        if offset + box_size > size:
            return size if kind == b"mdat" else offset
        intact = offset + box_size
    return intact


def trim(path: Path | str, frames: int | None = None) -> int:
    """Cut a crash-truncated MP4 back to its intact boxes, so any player opens it; returns its size.

    With `frames`, also cut every fragment after the first `frames` (the writer puts one frame in
    each), so the video holds exactly the frames its episode's rows describe. A complete file
    with no more frames than that is left untouched.
    """
    keep = intact_length(path)
    if frames is not None:
        fragments = [offset for offset, kind, _ in _boxes(path) if kind == b"moof" and offset < keep]
        if len(fragments) > frames:
            keep = fragments[frames]
    if keep < os.path.getsize(path):
        with open(path, "r+b") as f:
            f.truncate(keep)
            os.fsync(f.fileno())
    return keep


class _Prefix(io.RawIOBase):
    """A read-only view of the first `length` bytes of a file (for opening a cut MP4 as-is)."""

    def __init__(self, path: Path | str, length: int):
        self._file = open(path, "rb")  # noqa: SIM115 - closed with the view
        self._length = length

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        room = max(0, self._length - self._file.tell())
        view = memoryview(buffer)
        return self._file.readinto(view[: min(len(view), room)])

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            offset, whence = self._length + offset, io.SEEK_SET
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()


@contextlib.contextmanager
def _opened(path: Path | str) -> Iterator[av.container.InputContainer]:
    """Open a video for decoding (its intact part, if a crash cut it); DatasetError if unreadable."""
    source = None
    try:
        keep = intact_length(path)
        source = _Prefix(path, keep) if keep < os.path.getsize(path) else None
        container = av.open(source or str(path), mode="r")
    except (av.FFmpegError, OSError) as err:
        if source is not None:
            source.close()
        raise DatasetError(f"cannot open video {path}: {err}") from None
    try:
        if not container.streams.video:
            raise DatasetError(f"no video stream in {path}")
        container.streams.video[0].thread_type = "AUTO"
        yield container
    finally:
        container.close()
        if source is not None:
            source.close()


def _decoded(container: av.container.InputContainer) -> Iterator[av.VideoFrame]:
    """Frames from the container's current position on; stops quietly at a truncated tail."""
    codec = container.streams.video[0].codec_context
    try:
        for packet in container.demux(container.streams.video[0]):
            # A packet cut short by the end of the file is flagged corrupt; nothing after it is
            # on disk. (An empty packet is the demuxer's end-of-stream marker.)
            if packet.size == 0 or packet.is_corrupt:
                break
            yield from codec.decode(packet)
    except (av.FFmpegError, EOFError):
        pass  # a damaged tail: what decoded so far is what the file holds
    with contextlib.suppress(av.FFmpegError):
        yield from codec.decode(None)  # drain the frames a threaded decoder still holds


def _numbered(path: Path | str, start: int) -> Iterator[tuple[int, av.VideoFrame]]:
    """(frame number, frame) from the keyframe at or before `start` on (from 0 if in doubt)."""
    if start > 0:
        with _opened(path) as container, contextlib.suppress(av.FFmpegError):
            stream = container.streams.video[0]
            rate, t0 = stream.guessed_rate, (stream.start_time or 0) * stream.time_base
            # Jump to the keyframe before `start`; frame numbers then come from timestamps.
            if rate:
                container.seek(round((t0 + start / rate) / stream.time_base), stream=stream)
            frames = _decoded(container)
            first = next(frames, None) if rate else None
            if first is not None and first.time is not None:
                index = round((first.time - t0) * rate)
                if 0 <= index <= start:
                    yield from enumerate(itertools.chain([first], frames), index)
                    return
    with _opened(path) as container:  # no seek, or it could not be placed: decode from frame 0
        yield from enumerate(_decoded(container))


def read_frames(path: Path | str, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """Yield frames `start <= i < stop` of a video as (height, width, 3) uint8 RGB arrays.

    Frames are numbered from 0 in presentation order. A truncated file simply ends early.
    Raises `DatasetError` if the file is missing or not a video.
    """
    if stop is not None and stop <= start:
        return
    for index, frame in _numbered(path, start):
        if stop is not None and index >= stop:
            return
        if index >= start:
            yield frame.to_ndarray(format="rgb24")


def count_frames(path: Path | str) -> int:
    """How many frames of a video decode; a truncated or damaged tail is not counted.

    This decodes the whole file (about 0.3 ms a frame at 256 x 256), because a frame listed in
    the container but cut short on disk must not count.
    """
    return sum(1 for _ in _numbered(path, 0))
