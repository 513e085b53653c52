"""Writing videos to watch: H.264 + AAC MP4 with the speech audio, via PyAV (bundled ffmpeg)."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from mirrorface.files import atomic_output


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: float,
              audio: np.ndarray | None = None, sample_rate: int | None = None) -> int:
    """Encode RGB frames (and mono float audio in [-1, 1]) to an MP4; returns the frame count."""
    count = 0
    with atomic_output(path) as tmp, av.open(str(tmp), mode="w") as container:
        video = None
        if audio is not None:
            sound = container.add_stream("aac", rate=sample_rate)
            sound.layout = "mono"
        for frame in frames:
            if video is None:
                video = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
                video.height, video.width = frame.shape[:2]
                video.pix_fmt = "yuv420p"
                video.options = {"crf": "18", "preset": "veryfast"}
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            for packet in video.encode(picture):
                container.mux(packet)
            count += 1
        if video is not None:
            for packet in video.encode():
                container.mux(packet)
        if audio is not None:
            pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)[None, :]
            chunk = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            chunk.sample_rate = sample_rate
            for packet in sound.encode(chunk):
                container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)
    return count
