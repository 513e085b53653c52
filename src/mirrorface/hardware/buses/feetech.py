"""Feetech STS servos (STS3215 and kin: the servos LeRobot's arms use), through `feetech-servo-sdk`.

Registers from the STS control table: torque enable 40, goal position 42 (2 bytes), present
position 56 (2 bytes), status 65. STS words are little-endian (the SDK's `PacketHandler(0)`);
the older SCS series is big-endian and is not supported here.
"""

from __future__ import annotations

import scservo_sdk

from mirrorface.hardware.bus import register_bus
from mirrorface.hardware.buses.sdk import SdkBus


@register_bus("feetech")
class FeetechBus(SdkBus):
    sdk = scservo_sdk
    protocol = 0  # STS: little-endian words
    torque = (40, 1)
    hardware_error = (65, 1)
    goal = (42, 2)
    present = (56, 2)
    error_bits = {0x01: "input voltage", 0x02: "angle sensor", 0x04: "overheating", 0x08: "over-current",
                  0x20: "overload"}
    alert = 0x2F  # every error bit of a status packet is a hardware error
