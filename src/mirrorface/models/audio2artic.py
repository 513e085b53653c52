"""Audio -> articulation: a small dilated temporal conv net over log-mel frames."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

N_ARTICULATORS = 9  # len(articulation.phonemes.ARTICULATORS); models know no phonetics
BILABIAL = 5  # ARTICULATORS.index("bilabial"): the closure channel is trained on this column


@dataclass(frozen=True)
class Audio2ArticConfig:
    """Architecture and input features of an `Audio2Artic` model.

    The feature fields are part of the model: a checkpoint only works with the features it
    was trained on, so they are stored with it and read back by the loader.
    """

    n_mels: int = 40  # log-mel bands per 10 ms frame (speech.features.log_mel)
    hop_ms: float = 10.0  # frame step: one output per input frame
    win_ms: float = 25.0  # analysis window of the features
    fmin: float = 60.0  # Hz, lowest mel band edge (below it is mostly hum)
    fmax: float = 7600.0  # Hz, highest band edge (just under the 8 kHz Nyquist of 16 kHz audio)
    channels: int = 64  # width of every conv layer: ~107k parameters (430 KB) at 6 layers
    layers: int = 6  # residual blocks, dilation 1, 2, 4, ...: receptive field grows exponentially
    kernel: int = 3  # taps per dilated conv
    dropout: float = 0.1  # inside each block; the corpus is small, eSpeak voices are few
    causal: bool = False  # centred by default: lips move before the sound (anticipation), so
    # the model must hear ~150-300 ms ahead; a causal model would lag by that much
    n_out: int = N_ARTICULATORS  # articulator channels; one more output is the closure logit
    closure_weight: float = 0.5  # weight of the closure BCE relative to the articulator MAE
    closure_pos_weight: float = 3.0  # BCE weight of the closing frames: >1 trades false alarms for
    # fewer missed closures, which an observer sees first (a voice unlike the training's is unsure)
    closure_threshold: float = 0.5  # closure probability above which the lips are shut; calibrated
    # after training on validation speech (`eval.audio_validation.calibrate_audio_model`)

    def __post_init__(self) -> None:
        for name in ("n_mels", "channels", "layers", "kernel", "n_out"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.kernel % 2 == 0 and not self.causal:
            raise ValueError(f"a centred model needs an odd kernel, got {self.kernel}")

    @property
    def receptive_field(self) -> int:
        """Input frames that influence one output frame."""
        return 1 + (self.kernel - 1) * (2**self.layers - 1) + 2  # + the stem's 3-tap conv


class _FrameNorm(nn.LayerNorm):
    """Layer norm over the channels of each frame of (B, C, T).

    Per frame, not over time (as GroupNorm would): statistics over the clip would let the
    whole clip leak into every frame, breaking causality and streaming.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)  # (B, C, T)


class _Block(nn.Module):
    """x + 1x1(GELU(dilated conv(GELU(norm(x))))): a pre-norm residual block over time."""

    def __init__(self, channels: int, kernel: int, dilation: int, dropout: float, causal: bool):
        super().__init__()
        span = (kernel - 1) * dilation
        self.pad = (span, 0) if causal else (span // 2, span // 2)
        self.norm = _FrameNorm(channels)
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.conv(F.pad(F.gelu(self.norm(x)), self.pad)))  # (B, C, T)
        return x + self.drop(self.mix(h))


class Audio2Artic(nn.Module):
    """Log-mel frames -> articulator trajectories and a lip-closure logit, frame by frame.

        mel (B, T, n_mels) --normalise--> stem conv k3 --> [block d=1] ... [block d=2^(L-1)]
            --> 1x1 head --> sigmoid(:n_out) = articulators (B, T, n_out) in [0, 1]
                         \\-> [n_out]          = closure logit (B, T)

    With 6 layers of 3 taps the receptive field is 129 frames (±640 ms when centred), enough
    context for anticipatory coarticulation. The input normaliser (per-band mean and standard
    deviation of the training features) is held as buffers, so it travels in the checkpoint.
    Loss: masked MAE on the articulators (the evaluation metric) + `closure_weight` x BCE of
    the closure logit against "the bilabial target is above 0.5", its closing frames weighted
    `closure_pos_weight`.
    """

    def __init__(self, config: Audio2ArticConfig):
        super().__init__()
        self.config = config
        c = config.channels
        self.register_buffer("mel_mean", torch.zeros(config.n_mels))
        self.register_buffer("mel_std", torch.ones(config.n_mels))
        self.stem = nn.Conv1d(config.n_mels, c, 3)
        self.stem_pad = (2, 0) if config.causal else (1, 1)
        self.blocks = nn.ModuleList(
            _Block(c, config.kernel, 2**i, config.dropout, config.causal) for i in range(config.layers)
        )
        self.norm = _FrameNorm(c)
        self.head = nn.Conv1d(c, config.n_out + 1, 1)

    def set_normalizer(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Store the training features' per-band statistics, (n_mels,) each."""
        self.mel_mean.copy_(mean)
        self.mel_std.copy_(std.clamp_min(1e-3))

    def forward(self, mel: torch.Tensor, target: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor | None]:
        """Predict every frame; with `target`, also the loss.

        Args:
            mel: (B, T, n_mels) log-mel frames.
            target: (B, T, n_out) articulator values in [0, 1], or None.
            mask: (B, T) 1 for real frames, 0 for padding; None means all real.

        Returns:
            ((articulators (B, T, n_out), closure_logit (B, T)), loss or None).
        """
        x = ((mel - self.mel_mean) / self.mel_std).transpose(1, 2)  # (B, n_mels, T)
        x = self.stem(F.pad(x, self.stem_pad))  # (B, C, T)
        for block in self.blocks:
            x = block(x)  # (B, C, T)
        out = self.head(F.gelu(self.norm(x))).transpose(1, 2)  # (B, T, n_out + 1)
        articulators, closure_logit = torch.sigmoid(out[..., :-1]), out[..., -1]
        if target is None:
            return (articulators, closure_logit), None
        if mask is None:
            mask = torch.ones(target.shape[:2], dtype=target.dtype, device=target.device)
        weight = mask / mask.sum().clamp_min(1.0)  # (B, T), sums to 1 over real frames
        mae = ((articulators - target).abs().mean(-1) * weight).sum()
        closed = (target[..., BILABIAL] > 0.5).to(target.dtype)  # (B, T)
        pos_weight = torch.tensor(self.config.closure_pos_weight, dtype=closure_logit.dtype)
        bce = (F.binary_cross_entropy_with_logits(closure_logit, closed, reduction="none",
                                                  pos_weight=pos_weight) * weight).sum()
        return (articulators, closure_logit), mae + self.config.closure_weight * bce
