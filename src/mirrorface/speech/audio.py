"""Audio files in and out: decode anything ffmpeg reads to mono float32, resample, write WAV.

All arrays here are 1-D float32 sample arrays in [-1, 1] (mono), with the sample rate in Hz
passed alongside. Decoding goes through PyAV (its bundled ffmpeg), so WAV, FLAC, MP3, OGG, M4A
and the audio track of a video all work. Resampling happens in ffmpeg's resampler
(`av.AudioResampler`); mono is the mean of the channels.

Every problem a user can cause (missing, empty, corrupt or silent file) is a `MirrorfaceError`
with a one-line message.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from scipy.signal import resample_poly

from mirrorface.errors import MirrorfaceError
from mirrorface.files import atomic_output

# A file whose RMS level is below -60 dBFS holds no usable speech: normal speech recordings sit
# around -30 to -15 dBFS and a quiet room's noise floor around -60 to -70 dBFS, so this rejects
# digital silence, a muted microphone or a room tone, and keeps even very quiet talkers.
SILENCE_RMS_DBFS = -60.0
SILENCE_RMS = 10.0 ** (SILENCE_RMS_DBFS / 20.0)  # 0.001 in full-scale units


def rms_dbfs(audio: np.ndarray) -> float:
    """RMS level of `audio` in dB relative to full scale (-inf for all zeros)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    return 20.0 * math.log10(rms) if rms > 0 else -math.inf


def load_audio(path: str | Path, sample_rate: int = 16000) -> np.ndarray:
    """Decode the first audio stream of `path` to mono float32 at `sample_rate` Hz.

    Returns:
        (samples,) float32 array in [-1, 1].
    Raises:
        MirrorfaceError: the file is missing, empty, not audio or corrupt, decodes to no samples
            (e.g. a truncated WAV whose data never arrived), or is silent (RMS below
            `SILENCE_RMS_DBFS`).
    """
    path = Path(path)
    if not path.exists():
        raise MirrorfaceError(f"audio file not found: {path}")
    if not path.is_file():
        raise MirrorfaceError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise MirrorfaceError(f"audio file is empty (0 bytes): {path}")
    if sample_rate <= 0:
        raise MirrorfaceError(f"sample rate must be positive, got {sample_rate}")
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path), mode="r") as container:
            if not container.streams.audio:
                raise MirrorfaceError(f"no audio stream in {path}")
            stream = container.streams.audio[0]
            # Planar float at the target rate, channels kept: we average them ourselves, because
            # ffmpeg's stereo->mono downmix sums at -3 dB each and can exceed full scale.
            resampler = av.AudioResampler(format="fltp", rate=sample_rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().mean(axis=0))
            for out in resampler.resample(None):  # flush the samples ffmpeg still holds
                chunks.append(out.to_ndarray().mean(axis=0))
    except MirrorfaceError:
        raise
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        # ffmpeg's own words ("Invalid data found when processing input") are the useful part.
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0] or type(exc).__name__
        raise MirrorfaceError(f"not an audio file, or corrupt: {path} ({reason})") from None
    audio = np.concatenate(chunks).astype(np.float32, copy=False) if chunks else np.zeros(0, np.float32)
    if len(audio) == 0:
        raise MirrorfaceError(f"audio file decodes to no samples (truncated or empty?): {path}")
    level = rms_dbfs(audio)
    if level < SILENCE_RMS_DBFS:
        shown = "-inf" if math.isinf(level) else f"{level:.0f}"
        raise MirrorfaceError(
            f"audio is silent: {path} (RMS {shown} dBFS, below {SILENCE_RMS_DBFS:.0f} dBFS)"
        )
    return np.clip(audio, -1.0, 1.0)


def resample(audio: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Resample mono `audio` from `src_rate` to `dst_rate` Hz (polyphase FIR, scipy).

    Returns:
        (round(samples * dst_rate / src_rate),) float32 array.
    """
    src_rate, dst_rate = int(src_rate), int(dst_rate)
    if src_rate <= 0 or dst_rate <= 0:
        raise MirrorfaceError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    audio = np.asarray(audio, dtype=np.float32)
    if src_rate == dst_rate:
        return audio.copy()
    g = math.gcd(src_rate, dst_rate)
    return resample_poly(audio, dst_rate // g, src_rate // g).astype(np.float32)


def save_wav(path: str | Path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write mono float `audio` (clipped to [-1, 1]) as a 16-bit PCM WAV; returns the path.

    The file is written next to its destination and renamed into place, so an interrupted write
    never leaves a half-written WAV behind.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise MirrorfaceError(f"save_wav expects mono (samples,) audio, got shape {audio.shape}")
    if not np.all(np.isfinite(audio)):
        raise MirrorfaceError("audio contains NaN or infinite samples; refusing to write it")
    if sample_rate <= 0:
        raise MirrorfaceError(f"sample rate must be positive, got {sample_rate}")
    path = Path(path)
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    with atomic_output(path) as tmp, open(tmp, "wb") as raw, wave.open(raw, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(pcm.tobytes())
    return path


def wav_stream(stream: BinaryIO, block_s: float = 0.02) -> tuple[int, Iterator[np.ndarray]]:
    """A 16-bit PCM WAV arriving on a pipe (stdin, say) -> (sample rate, mono float32 blocks as they come).

    The header is read at once; then `block_s` of sound at a time, so a live producer's samples
    reach the caller within a block. The stream need not be seekable.
    """
    try:
        reader = wave.open(stream, "rb")  # noqa: SIM115 (read by the generator returned)
    except (wave.Error, EOFError) as exc:
        raise MirrorfaceError(f"the audio stream is not a WAV ({exc or 'empty'})") from None
    if reader.getsampwidth() != 2:
        raise MirrorfaceError(f"the audio stream must be 16-bit PCM, got {8 * reader.getsampwidth()}-bit")
    rate, channels = reader.getframerate(), reader.getnchannels()

    def blocks() -> Iterator[np.ndarray]:
        while raw := reader.readframes(max(1, int(block_s * rate))):
            yield (np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0).reshape(-1, channels).mean(axis=1)

    return rate, blocks()
