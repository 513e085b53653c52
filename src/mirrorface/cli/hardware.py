"""`mirrorface emulate`: a servo bus answered byte for byte on a pseudo-terminal.

Examples:
    mirrorface emulate dynamixel --face myface.toml --calibration-out myface.calibration.json
    mirrorface emulate feetech --face lips10 --link /tmp/lips10-bus --log received.jsonl
    mirrorface emulate feetech --face myface.toml --fault timeout --fault-after 5
The first line printed is `port: /dev/pts/N`; point the spec's `[bus] port` there (or at --link).
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import typer

from mirrorface.errors import MirrorfaceError


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def emulate(
    bus: str = typer.Argument(..., help="The protocol: dynamixel | feetech | ... (see `[bus] type`)."),
    face: str = typer.Option("lips10", help="A built-in face name or the path of a face.toml (servo ids)."),
    fault: str | None = typer.Option(None, help="Inject a fault: timeout | checksum | overload | disconnect."),
    fault_after: float = typer.Option(0.0, help="Seconds after the first request before the fault starts."),
    calibration_out: Path | None = typer.Option(None, help="Write the calibration of the emulated servos here."),
    log: Path | None = typer.Option(None, help="Record every goal received as a JSON line {t, goals: {id: raw}}."),
    link: Path | None = typer.Option(None, help="Also make this path a symlink to the port (a stable [bus] port)."),
) -> None:
    """Emulate a face's servo bus on a pseudo-terminal until Ctrl-C (or an injected disconnect)."""
    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.calibration import save_calibration
    from mirrorface.hardware.emulators import Fault
    from mirrorface.hardware.emulators.base import emulate as make_emulator
    from mirrorface.hardware.emulators.base import emulated_calibration

    if fault is not None and fault not in Fault.__members__:
        raise MirrorfaceError(f"--fault must be one of {', '.join(Fault.__members__)}, got {fault!r}")
    if fault_after < 0:
        raise MirrorfaceError(f"--fault-after must not be negative, got {fault_after}")
    spec = load_spec(face)
    with contextlib.ExitStack() as stack:
        before = signal.signal(signal.SIGTERM, _stop)  # `kill` ends it like Ctrl-C: the link is removed
        stack.callback(signal.signal, signal.SIGTERM, before)  # (run in a process that goes on: as it was)
        log_file = stack.enter_context(log.open("w", encoding="utf-8")) if log is not None else None
        emulator = make_emulator(bus, spec, fault=Fault(fault) if fault else None, fault_after=fault_after,
                                 log=log_file)
        stack.callback(emulator.stop)
        if calibration_out is not None:
            save_calibration(emulated_calibration(spec, bus, emulator.protocol.servos), calibration_out)
        if link is not None:
            if link.is_symlink():  # a link left by an earlier run; anything else there is the user's
                link.unlink()
            elif link.exists():
                raise MirrorfaceError(f"--link {link}: something that is not a link is already there")
            os.symlink(emulator.port, link)
            stack.callback(link.unlink, missing_ok=True)
        emulator.start()
        typer.echo(f"port: {emulator.port}")  # the first line: scripts and tests read it
        emulator.wait()
    typer.echo(f"{bus} emulator: disconnected (injected fault)", err=True)
