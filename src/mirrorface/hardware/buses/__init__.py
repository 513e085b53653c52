"""The motor-bus drivers; importing this package registers every one of them in `BUSES`."""

from mirrorface.hardware.buses import dynamixel, feetech, maestro, pca9685  # noqa: F401  (they register themselves)
