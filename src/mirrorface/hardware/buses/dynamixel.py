"""Dynamixel X-series servos over Protocol 2.0, through ROBOTIS's official `dynamixel-sdk`.

Registers from the X-series control table (XM430, XL430, XC430, XM540 share them): torque enable
64, hardware error status 70, goal position 116 (4 bytes), present position 132 (4 bytes).
"""

from __future__ import annotations

import dynamixel_sdk

from mirrorface.hardware.bus import register_bus
from mirrorface.hardware.buses.sdk import SdkBus


@register_bus("dynamixel")
class DynamixelBus(SdkBus):
    sdk = dynamixel_sdk
    protocol = 2.0
    torque = (64, 1)
    hardware_error = (70, 1)
    goal = (116, 4)
    present = (132, 4)
    error_bits = {0x01: "input voltage", 0x04: "overheating", 0x08: "motor encoder", 0x10: "electrical shock",
                  0x20: "overload"}
    alert = 0x80  # the status packet's alert bit: read register 70 for the cause
