"""Optional: the Wav2Lip generator, for users who bring their own Wav2Lip weights.

The lip-sync paper painted speech onto frames of the robot's own face with Wav2Lip (Prajwal et
al., "A Lip Sync Expert Is All You Need for Speech to Lip Generation In the Wild", ACM MM 2020).
mirrorface's default is the articulatory renderer (`Painter.render_mouth` for the simulator,
`mirrorface.targets.warp.MouthWarper` for a real robot). This module is the optional real-world
path: Wav2Lip's weights are licensed by their authors for non-commercial use only, so mirrorface
never ships them, never downloads them, and never makes them a default. A user who has a
checkpoint from the original project (`wav2lip.pth` or `wav2lip_gan.pth`) loads it with
`load_wav2lip(path)`; it is read with `weights_only=True`, so no arbitrary object is unpickled.

The network, from the paper: a face encoder over a 6-channel 96 x 96 input (the target frame with
its lower half masked, stacked with a reference frame of the same face), an audio encoder over an
80 x 16 mel-spectrogram window (0.2 s), and a decoder that upsamples the audio embedding back to
96 x 96 with skip connections from every face-encoder level; sigmoid output. Every block is
Conv2d + BatchNorm + ReLU, many with an identity residual. Layer names follow the original
project's state dict, so its checkpoints load unchanged. The original weights saw faces in
OpenCV's BGR channel order: `face_input` takes RGB and converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.signal import lfilter
from torch import nn

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.features import mel_filterbank

SAMPLE_RATE = 16_000  # Hz, what `mel_spectrogram` expects
N_FFT, HOP, WIN = 800, 200, 800  # samples: 50 ms windows every 12.5 ms (80 mel frames per second)
N_MELS, F_MIN, F_MAX = 80, 55.0, 7600.0  # Hz
PREEMPHASIS, MIN_LEVEL_DB, REF_LEVEL_DB, MAX_ABS = 0.97, -100.0, 20.0, 4.0


@dataclass(frozen=True)
class Wav2LipConfig:
    """Layer widths of the generator (the defaults are the published model)."""

    img_size: int = 96  # px, square face crop
    mel_steps: int = 16  # mel frames per audio window
    face_widths: tuple[int, ...] = (16, 32, 64, 128, 256, 512)  # per level, 96 -> 3 px
    face_residuals: tuple[int, ...] = (0, 2, 3, 2, 2, 1)
    audio_widths: tuple[int, ...] = (32, 64, 128, 256)
    audio_strides: tuple[tuple[int, int], ...] = ((1, 1), (3, 1), (3, 3), (3, 2))  # 80x16 -> 3x3
    audio_residuals: tuple[int, ...] = (2, 2, 2, 1)
    embed: int = 512  # audio and face bottleneck channels (1 x 1)
    decoder_widths: tuple[int, ...] = (512, 512, 512, 384, 256, 128, 64)  # 1, 3, 6, 12, 24, 48, 96 px
    decoder_residuals: tuple[int, ...] = (0, 1, 2, 2, 2, 2, 2)
    head_width: int = 32


class ConvBlock(nn.Module):
    """(Transposed) Conv2d + BatchNorm + ReLU, optionally adding its input (same shape) first."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0, *, residual=False, transpose=False, out_pad=0):
        super().__init__()
        conv = (
            nn.ConvTranspose2d(cin, cout, kernel, stride, padding, out_pad)
            if transpose
            else nn.Conv2d(cin, cout, kernel, stride, padding)
        )
        self.conv_block = nn.Sequential(conv, nn.BatchNorm2d(cout))
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        return self.act(out + x if self.residual else out)


def _stage(cin, cout, stride, n_res, *, kernel=3, padding=1) -> list[nn.Module]:
    """One strided block then `n_res` residual 3x3 blocks at width `cout`."""
    layers = [ConvBlock(cin, cout, kernel, stride, padding)]
    return layers + [ConvBlock(cout, cout, 3, 1, 1, residual=True) for _ in range(n_res)]


def _squeeze(cin, cout) -> list[nn.Module]:
    """3x3 -> 1x1: a valid 3x3 convolution then a 1x1 one."""
    return [ConvBlock(cin, cout, 3, 1, 0), ConvBlock(cout, cout, 1, 1, 0)]


class Wav2Lip(nn.Module):
    """The Wav2Lip generator: (mel window, masked + reference face) -> face with synced lips."""

    def __init__(self, config: Wav2LipConfig | None = None):
        super().__init__()
        c = self.config = config or Wav2LipConfig()
        fw = c.face_widths
        blocks = [nn.Sequential(*_stage(6, fw[0], 1, c.face_residuals[0], kernel=7, padding=3))]  # 96 px
        for i in range(1, len(fw)):  # 48, 24, 12, 6, 3 px
            blocks.append(nn.Sequential(*_stage(fw[i - 1], fw[i], 2, c.face_residuals[i])))
        blocks.append(nn.Sequential(*_squeeze(fw[-1], c.embed)))  # 1 px
        self.face_encoder_blocks = nn.ModuleList(blocks)

        layers, cin = [], 1  # (B, 1, 80, 16) -> (B, 512, 1, 1)
        for w, s, r in zip(c.audio_widths, c.audio_strides, c.audio_residuals, strict=True):
            layers += _stage(cin, w, s, r)
            cin = w
        self.audio_encoder = nn.Sequential(*layers, *_squeeze(cin, c.embed))

        skips = [*fw, c.embed][::-1]  # channels of the face features, deepest first
        dw, dr = c.decoder_widths, c.decoder_residuals
        dec = [nn.Sequential(ConvBlock(c.embed, dw[0], 1, 1, 0))]
        for j in range(1, len(dw)):  # 1 -> 3 px (stride 1, no padding), then doubling to 96 px
            first = j == 1
            up = ConvBlock(dw[j - 1] + skips[j - 1], dw[j], 3, 1 if first else 2, 0 if first else 1,
                           transpose=True, out_pad=0 if first else 1)
            res = [ConvBlock(dw[j], dw[j], 3, 1, 1, residual=True) for _ in range(dr[j])]
            dec.append(nn.Sequential(up, *res))
        self.face_decoder_blocks = nn.ModuleList(dec)
        self.output_block = nn.Sequential(
            ConvBlock(dw[-1] + skips[-1], c.head_width, 3, 1, 1), nn.Conv2d(c.head_width, 3, 1), nn.Sigmoid()
        )

    def forward(self, audio: torch.Tensor, face: torch.Tensor) -> torch.Tensor:
        """audio (B, 1, 80, 16) mel in [-4, 4], face (B, 6, 96, 96) in [0, 1] -> (B, 3, 96, 96) in [0, 1]."""
        c = self.config
        if audio.shape[1:] != (1, N_MELS, c.mel_steps) or face.shape[1:] != (6, c.img_size, c.img_size):
            raise ValueError(f"Wav2Lip takes (B, 1, {N_MELS}, {c.mel_steps}) audio and (B, 6, {c.img_size}, "
                             f"{c.img_size}) faces, got {tuple(audio.shape)} and {tuple(face.shape)}")
        feats, x = [], face
        for block in self.face_encoder_blocks:  # 96 -> 1 px, keeping every level for the skips
            x = block(x)
            feats.append(x)
        x = self.audio_encoder(audio)  # (B, 512, 1, 1)
        for block in self.face_decoder_blocks:
            x = torch.cat([block(x), feats.pop()], dim=1)
        return self.output_block(x)


def load_wav2lip(path: str | Path, config: Wav2LipConfig | None = None) -> Wav2Lip:
    """A user-supplied Wav2Lip generator checkpoint (.pth) -> the model in eval mode on the CPU.

    Accepts the original project's files (a dict with "state_dict", saved from DataParallel with
    "module." prefixes) or a bare state dict. Raises MirrorfaceError with one line if the file is
    missing, unreadable, or does not hold exactly this generator's weights.
    """
    p = Path(path)
    if not p.is_file():
        raise MirrorfaceError(f"Wav2Lip checkpoint not found: {p} (mirrorface never ships or downloads it)")
    try:
        ckpt = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # any failure here means "not a checkpoint we can read safely"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:120]
        raise MirrorfaceError(f"cannot read Wav2Lip checkpoint {p}: {reason}") from exc
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise MirrorfaceError(f"{p} holds no state dict of tensors: not a Wav2Lip checkpoint")
    state = {str(k).removeprefix("module."): v for k, v in state.items()}
    model = Wav2Lip(config)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    misshaped = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or misshaped:
        first = (missing + unexpected + misshaped)[0]
        raise MirrorfaceError(
            f"{p} is not a Wav2Lip generator checkpoint: {len(missing)} missing, {len(unexpected)} "
            f"unexpected, {len(misshaped)} mis-shaped keys (first: {first})"
        )
    model.load_state_dict(state, strict=False)
    return model.eval()


def face_input(targets_rgb: np.ndarray, references_rgb: np.ndarray) -> torch.Tensor:
    """(B, 96, 96, 3) uint8 RGB target and reference crops -> (B, 6, 96, 96) float in [0, 1].

    The target's lower half is blanked (the generator must draw the mouth); channels are turned
    into the BGR order the original weights were trained on. The output is BGR too: flip it back.
    """
    t = np.array(targets_rgb[..., ::-1], dtype=np.float32)
    t[:, t.shape[1] // 2 :] = 0.0
    both = np.concatenate([t, np.asarray(references_rgb[..., ::-1], dtype=np.float32)], axis=3) / 255.0
    return torch.from_numpy(both).permute(0, 3, 1, 2).contiguous()


def mel_basis() -> np.ndarray:
    """(80, 401) triangular mel filters, area-normalized ("slaney"), for 800-point FFTs at 16 kHz."""
    return mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS, F_MIN, F_MAX)


def mel_spectrogram(audio_16k: np.ndarray) -> np.ndarray:
    """Mono 16 kHz samples (N,) in [-1, 1] -> (80, 1 + N // 200) float32 log-mel in [-4, 4].

    Wav2Lip's audio features: pre-emphasis 0.97, centered STFT (reflect padding, periodic Hann,
    800-sample window, hop 200 = 80 frames/s), 80 mel bands 55-7600 Hz, 20 log10 amplitude minus
    20 dB, the range [-100, 0] dB mapped linearly onto [-4, 4] and clipped.
    """
    wav = np.asarray(audio_16k, dtype=np.float64)
    if wav.ndim != 1 or wav.size == 0 or not np.isfinite(wav).all():
        raise MirrorfaceError(f"audio must be non-empty mono samples, all finite, not shape {wav.shape}")
    wav = lfilter([1.0, -PREEMPHASIS], [1.0], wav)
    padded = np.pad(wav, N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][: 1 + wav.size // HOP]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)  # periodic Hann
    magnitude = np.abs(np.fft.rfft(frames * window, axis=1)).T  # (401, T)
    db = 20.0 * np.log10(np.maximum(1e-5, mel_basis() @ magnitude)) - REF_LEVEL_DB
    norm = 2 * MAX_ABS * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS
    return np.clip(norm, -MAX_ABS, MAX_ABS).astype(np.float32)


def mel_windows(mel: np.ndarray, fps: float, n_frames: int, steps: int = 16) -> torch.Tensor:
    """(80, T) mel -> (n_frames, 1, 80, steps): the window starting at each video frame's time."""
    if mel.shape[1] < steps:
        raise MirrorfaceError(f"audio too short for Wav2Lip: {mel.shape[1]} mel frames, need {steps}")
    starts = np.minimum((np.arange(n_frames) * (SAMPLE_RATE / HOP) / fps).astype(int), mel.shape[1] - steps)
    windows = np.stack([mel[:, s : s + steps] for s in starts])[:, None]
    return torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
