"""`mirrorface calibrate`: measure where each actuator's 0, 1 and neutral lie on a real face.

Example:
    mirrorface calibrate --face myface.toml     # writes myface.calibration.json beside it
"""

from __future__ import annotations

import typer

import mirrorface.hardware.buses  # noqa: F401  (registers the bus drivers)
from mirrorface.errors import SpecError
from mirrorface.face.spec import load_spec, spec_path
from mirrorface.hardware.bus import make_bus
from mirrorface.hardware.calibrate import calibrate_face, calibration_table
from mirrorface.hardware.calibration import calibration_path, save_calibration


def calibrate(
    face: str = typer.Option(..., "--face", help="The face.toml of a face on a real bus ([bus] type not sim)."),
) -> None:
    """Measure each actuator's ends and neutral on a real face; write the calibration beside its spec.

    Walks through each actuator by hand, or by small steps where the bus cannot read the servos.
    """
    spec_file = spec_path(face)
    spec = load_spec(spec_file)
    if spec.bus.type == "sim":
        raise SpecError(f"face {spec.name!r} runs on the simulator ([bus] type = \"sim\"): nothing to calibrate")
    bus = make_bus(spec, None)
    bus.connect()
    try:
        calibration = calibrate_face(bus, ask=input, tell=print)
    finally:
        bus.disconnect()
    path = calibration_path(spec_file)
    save_calibration(calibration, path)
    print(f"\n{spec.name} on a {spec.bus.type} bus, raw units:")
    print(calibration_table(bus, calibration))
    print(f"wrote {path}")
