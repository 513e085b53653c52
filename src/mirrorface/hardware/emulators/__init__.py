"""Protocol emulators: servo buses answered byte for byte on a pseudo-terminal, for tests and for
trying a face before it exists (`mirrorface emulate BUS --face SPEC`).

Each protocol registers itself in `EMULATORS` under its `[bus] type` (`@register_emulator`);
importing this package imports them all. (The PCA9685 is on I2C, which no pseudo-terminal
carries: its emulator, `emulators.pca9685`, is an in-process board passed to the driver.)
"""

from mirrorface.hardware.emulators import dynamixel, feetech, maestro  # noqa: F401  (they register themselves)
from mirrorface.hardware.emulators.base import EMULATORS, Fault, PtyEmulator

__all__ = ["EMULATORS", "Fault", "PtyEmulator"]
