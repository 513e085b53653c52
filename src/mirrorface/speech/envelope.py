"""Loudness per video frame: the crudest audio path, and the amplitude->jaw baseline's input.

Frame k of a clip at `fps` is shown at `k * 1000 / fps` ms (see `mirrorface.timeline`); its
envelope value is the RMS of the audio in a window of one frame period centred on that instant,
so the mouth opens while the sound is loud rather than half a frame after.
"""

from __future__ import annotations

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.timeline import Timed, Timeline

# Normalise by the 98th percentile of the frame RMS rather than the maximum, so that one click
# or plosive burst does not squash the rest of the clip towards zero.
ROBUST_MAX_PERCENTILE = 98.0
SPEECH = "speech"


def amplitude_envelope(audio: np.ndarray, sample_rate: int, fps: float) -> np.ndarray:
    """RMS loudness per video frame, normalised to [0, 1] by a robust maximum.

    Args:
        audio: (samples,) mono float audio.
        sample_rate: Hz.
        fps: video frames per second.
    Returns:
        (ceil(duration * fps),) float32 in [0, 1]; all zeros for silent audio.
    """
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 1:
        raise MirrorfaceError(f"expected mono audio of shape (samples,), got shape {audio.shape}")
    if sample_rate <= 0 or fps <= 0:
        raise MirrorfaceError(f"sample rate and fps must be positive, got {sample_rate} Hz, {fps} fps")
    period = sample_rate / fps  # samples per frame
    n_frames = int(np.ceil(len(audio) / period))
    if n_frames == 0:
        return np.zeros(0, np.float32)
    # Sum of squares over [centre - period/2, centre + period/2) from a cumulative sum: O(samples).
    cumsum = np.concatenate([[0.0], np.cumsum(audio * audio)])
    centres = np.arange(n_frames) * period
    lo = np.clip(np.round(centres - period / 2).astype(int), 0, len(audio))
    hi = np.clip(np.round(centres + period / 2).astype(int), 0, len(audio))
    rms = np.sqrt((cumsum[hi] - cumsum[lo]) / np.maximum(hi - lo, 1))
    scale = np.percentile(rms, ROBUST_MAX_PERCENTILE)
    if scale <= 0:
        return np.zeros(n_frames, np.float32)
    return np.clip(rms / scale, 0.0, 1.0).astype(np.float32)


def voiced_intervals(audio: np.ndarray, sample_rate: int, fps: float = 100.0, threshold: float = 0.05,
                     min_gap_ms: int = 100) -> Timeline[str]:
    """Intervals where the envelope is above `threshold`, as a `Timeline` of "speech" (ms).

    Frame k stands for [(k - 1/2), (k + 1/2)) frame periods (clipped to the audio). Gaps shorter
    than `min_gap_ms` are bridged: stop closures inside words are silent for 50-100 ms but are
    part of the speech, and a mouth that snaps shut for each of them looks wrong.

    The defaults were chosen on `speech.accuracy.TUNING_SENTENCES` (frame speech/silence
    accuracy: 0.994 at threshold 0.05 / 100 ms; 0.908 at 0.1 / 60 ms; 0.997 at 0.02 / 60 ms, but
    0.02 is only 34 dB below loud speech, i.e. above the noise floor of many real recordings;
    0.05 needs 26 dB of SNR).
    """
    env = amplitude_envelope(audio, sample_rate, fps)
    duration_ms = int(1000 * len(audio) // sample_rate)  # floor: never past the last sample
    frame_ms = 1000.0 / fps
    on = np.concatenate([[False], env > threshold, [False]])
    edges = np.flatnonzero(np.diff(on.astype(np.int8)))
    runs = []
    for k0, k1 in zip(edges[::2], edges[1::2], strict=True):  # frames k0..k1-1 are loud
        t0 = max(0, int(round((k0 - 0.5) * frame_ms)))
        t1 = min(duration_ms, int(round((k1 - 0.5) * frame_ms)))
        if runs and t0 - runs[-1][1] < min_gap_ms:
            runs[-1][1] = t1
        elif t1 > t0:
            runs.append([t0, t1])
    return Timeline([Timed(t0, t1, SPEECH) for t0, t1 in runs])
