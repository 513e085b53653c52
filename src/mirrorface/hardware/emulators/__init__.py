"""Protocol emulators: servo buses answered byte for byte on a pseudo-terminal, for tests and for
trying a face before it exists (`mirrorface emulate BUS --face SPEC`).

Each protocol registers itself in `EMULATORS` under its `[bus] type` (`@register_emulator`);
importing this package imports them all.
"""

from mirrorface.hardware.emulators import dynamixel, feetech  # noqa: F401  (they register themselves)
from mirrorface.hardware.emulators.base import EMULATORS, Fault, PtyEmulator

__all__ = ["EMULATORS", "Fault", "PtyEmulator"]
