"""Motor-bus drivers; importing this package registers each under its `[bus] type`."""

from mirrorface.hardware.buses import maestro, pca9685

__all__ = ["maestro", "pca9685"]
