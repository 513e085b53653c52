"""The lip-sync models' configs, importable without torch.

A checkpoint's `config.json` holds one of these; `say` reads them (the crop placement, the FAT's
shapes and lead) to run the models' ONNX graphs on onnxruntime without importing PyTorch. Each
model's module (`vae.py`, `fat.py`) builds its `nn.Module` from its config.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VAEConfig:
    image_size: int = 64  # side of the square input, pixels
    channels: tuple[int, ...] = (16, 32, 64, 128)  # conv widths; each halves the resolution
    latent: int = 16  # the paper's latent size
    beta: float = 0.1  # KL weight relative to the summed squared error (0.5 collapsed the posterior for one seed)
    crop_x: int = 0  # the crop in the camera frame: left, top and side in pixels
    crop_y: int = 0
    crop_size: int = 0  # 0: the whole frame (a frame already cropped)

    def __post_init__(self) -> None:
        if self.image_size % 2 ** len(self.channels):
            raise ValueError(f"image_size {self.image_size} must divide by 2^{len(self.channels)}")
        if self.latent < 1 or self.beta < 0:
            raise ValueError("latent must be positive and beta non-negative")


@dataclass(frozen=True)
class FATConfig:
    n_actions: int = 10  # actuators of the face
    latent: int = 16  # VAE latent size
    history: int = 2  # previous commands the encoder sees (A_{t-2}, A_{t-1})
    horizon: int = 2  # latents in and commands out (L_t, L_{t+1} -> A_t, A_{t+1})
    d_model: int = 64
    heads: int = 4
    layers: int = 2  # encoder layers, and as many decoder layers
    ff: int = 128  # hidden width of each MLP
    dropout: float = 0.0
    closure_index: tuple[int, ...] = (0, 1, 4)  # actuators that close the lips (face spec order)
    closure_sign: tuple[int, ...] = (-1, 1, -1)  # +1: a larger command closes; -1: a smaller one
    closure_k: tuple[float, ...] = (1.0, 1.0, 1.0)  # k_0, k_1, k_2 of eq. 7
    closure_weight: float = 1.0  # lambda of eq. 8
    lead: float = 1.0  # deployment: frames between sending A_t and the target frame L_t it aims at;
    # at least 1 (a command shows one frame later), calibrated after training for the servos' lag
    # (fractional: the target latents are interpolated between frames)
    actuator_lead: tuple[float, ...] = ()  # deployment: frames each actuator is sent its commands
    # ahead of the others (empty: none), calibrated for the slow jaw (`train_fat.calibrate_lead`)

    def __post_init__(self) -> None:
        if self.d_model % self.heads:
            raise ValueError(f"d_model {self.d_model} must divide by heads {self.heads}")
        if self.lead < 0:
            raise ValueError(f"lead must not be negative, got {self.lead}")
        if self.actuator_lead and (len(self.actuator_lead) != self.n_actions or min(self.actuator_lead) < 0):
            raise ValueError(f"actuator_lead needs {self.n_actions} non-negative entries, got {self.actuator_lead}")
        if not len(self.closure_index) == len(self.closure_sign) == len(self.closure_k):
            raise ValueError("closure_index, closure_sign and closure_k must have one entry per actuator")
