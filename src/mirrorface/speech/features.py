"""Audio features: log-mel spectrograms with numpy and scipy only.

torchaudio and librosa are not dependencies, so the short-time Fourier transform and the mel
filterbank are written here. They follow librosa's conventions (centred frames with zero
padding, a periodic Hann window, Slaney mel scale and area-normalised triangles), so a model
trained elsewhere on librosa features (a Wav2Lip mel front end, say) can reuse `log_mel` by
choosing its parameters (and its own scaling of the log): frame t is centred on t * hop_ms ms
of the input, and there are 1 + samples // hop frames. (Written from librosa's documented
definitions; not compared number for number with librosa, which cannot be installed here.)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import get_window

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.audio import resample

FEATURE_RATE = 16_000  # Hz: speech models see 16 kHz audio whatever the input rate


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default)."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


@lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, each with unit area (Slaney normalisation)."""
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise MirrorfaceError(f"mel band {fmin}-{fmax} Hz does not fit in 0-{sample_rate / 2:g} Hz")
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]  # (n_mels + 2, bins)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]  # equal area: loudness does not grow with band
    weights.setflags(write=False)  # cached: callers must not change it
    return weights


def log_mel(audio: np.ndarray, sample_rate: int, *, n_mels: int = 40, hop_ms: float = 10.0,
            win_ms: float = 25.0, fmin: float = 60.0, fmax: float = 7600.0, n_fft: int | None = None,
            power: float = 2.0, preemphasis: float = 0.0, floor: float = 1e-5,
            target_rate: int = FEATURE_RATE) -> np.ndarray:
    """Log-mel spectrogram of a waveform, at `target_rate` Hz after resampling.

    Args:
        audio: (samples,) or (samples, channels) waveform in [-1, 1]; channels are averaged.
        sample_rate: its rate in Hz (any; resampled to `target_rate` first).
        n_mels: mel bands.
        hop_ms: frame step in ms; frame t is centred at t * hop_ms.
        win_ms: analysis window (Hann) length in ms.
        fmin, fmax: band edges of the filterbank in Hz.
        n_fft: FFT size in samples; default the next power of two above the window.
        power: 2 for a power spectrogram, 1 for magnitude (Wav2Lip uses magnitude).
        preemphasis: first-order high-pass coefficient (0 = none; Wav2Lip uses 0.97).
        floor: smallest value before the log, so silence gives log(floor), never -inf.
        target_rate: the rate the features are computed at, in Hz.

    Returns:
        (T, n_mels) float32 natural-log mel energies, T = 1 + samples_at_target_rate // hop.

    Raises:
        MirrorfaceError: empty or non-finite audio, or a band outside the Nyquist range.
    """
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1 or audio.size == 0:
        raise MirrorfaceError(f"expected a mono waveform with samples, got shape {audio.shape}")
    if not np.isfinite(audio).all():
        raise MirrorfaceError("the audio contains NaN or infinite samples")
    x = resample(audio, sample_rate, target_rate).astype(np.float64)
    if preemphasis:
        x = np.append(x[0], x[1:] - preemphasis * x[:-1])
    hop = int(round(hop_ms * target_rate / 1000))
    win = int(round(win_ms * target_rate / 1000))
    n_fft = n_fft or 1 << (win - 1).bit_length()
    if n_fft < win:
        raise MirrorfaceError(f"n_fft {n_fft} is shorter than the {win}-sample window")
    window = np.zeros(n_fft)
    offset = (n_fft - win) // 2  # centre a short window in the FFT frame, as librosa does
    window[offset:offset + win] = get_window("hann", win, fftbins=True)
    padded = np.pad(x, n_fft // 2)  # centred frames; zeros, so even a tiny clip has frames
    frames = sliding_window_view(padded, n_fft)[::hop][: 1 + len(x) // hop]  # (T, n_fft), a view
    spectrum = np.abs(np.fft.rfft(frames * window, axis=1)) ** power  # (T, n_fft // 2 + 1)
    mel = spectrum @ mel_filterbank(target_rate, n_fft, n_mels, float(fmin), float(fmax)).T  # (T, n_mels)
    return np.log(np.maximum(mel, floor)).astype(np.float32)
