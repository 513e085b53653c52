"""Servo bus speed: one full tick (write every goal + read every position) through each serial
driver (the official SDKs for Dynamixel and Feetech, pyserial for the Maestro) against
`mirrorface emulate` in its own process, on a real pseudo-terminal.

Run: `.venv/bin/python benchmarks/servo_bus.py [--ticks 500]`.

For each bus with both a serial driver and an emulator on a port (dynamixel, feetech, maestro) and
each built-in face that fits it (emo26: 26 servos, lips10: 10; emo26 does not fit one Maestro), it
prints the median and 99th-percentile tick, the ticks a second the median allows, and beside them
the wire time: the bytes that tick actually put on the wire (counted at the pyserial port, both
ways) at the bus's default baud rate, 10 bits a byte. That is the physical limit on a real bus; a
pseudo-terminal has no baud rate, so the measured time is the software's (SDK, driver, emulator,
two processes on a shared machine), not the wire's, and a real bus adds each servo's return delay
(Dynamixel's default is 250 us; set it to 0). The ratio tick / wire says how far the software is
from the wire.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mirrorface.face.spec import load_spec
from mirrorface.hardware.bus import BUSES, make_bus
from mirrorface.hardware.buses import maestro, sdk
from mirrorface.hardware.calibration import Calibration
from mirrorface.hardware.emulators import EMULATORS

BAUD = {"dynamixel": sdk.DEFAULT_BAUDRATE, "feetech": sdk.DEFAULT_BAUDRATE, "maestro": maestro.DEFAULT_BAUDRATE}
CHANNELS = {"maestro": 24}  # one Mini Maestro 24, the largest board; a Dynamixel or Feetech bus takes a whole face
FACES = ("emo26", "lips10")


def start_emulator(bus: str, face: str, folder: Path) -> tuple[subprocess.Popen, str, Calibration]:
    calibration = folder / f"{face}-{bus}.calibration.json"
    proc = subprocess.Popen([sys.executable, "-m", "mirrorface", "emulate", bus, "--face", face,
                             "--calibration-out", str(calibration)], stdout=subprocess.PIPE, text=True)
    port = proc.stdout.readline().removeprefix("port: ").strip()
    return proc, port, Calibration.model_validate_json(calibration.read_text())


def count_bytes(bus) -> dict[str, int]:
    """Count what a driver writes to and reads from its pyserial port (the bytes of each tick): the
    Maestro's `port` is one, the SDKs' PortHandler keeps one as `port.ser`."""
    port = getattr(bus.port, "ser", bus.port)
    counted = {"out": 0, "in": 0}
    write, read = port.write, port.read

    def counting_write(packet):
        counted["out"] += len(packet)
        return write(packet)

    def counting_read(size=1):
        data = read(size)
        counted["in"] += len(data)
        return data

    port.write, port.read = counting_write, counting_read
    return counted


def measure(bus_type: str, face: str, ticks: int, folder: Path) -> dict[str, float]:
    plain = load_spec(face)
    spec = plain.model_copy(update={"bus": plain.bus.model_copy(update={"type": bus_type, "port": None})})
    proc, port, calibration = start_emulator(bus_type, face, folder)
    try:
        spec = spec.model_copy(update={"bus": spec.bus.model_copy(update={"port": port,
                                                                          "baudrate": BAUD.get(bus_type)})})
        bus = make_bus(spec, calibration)
        bus.connect()
        rng = np.random.default_rng(0)
        goals = spec.neutral + 0.05 * rng.standard_normal((ticks, spec.n))
        goals = np.clip(goals, spec.lower, spec.upper)
        counted = count_bytes(bus)
        times = []
        for goal in goals:
            t = time.perf_counter()
            bus.write_positions(goal)
            bus.read_positions()
            times.append(time.perf_counter() - t)
        bus.disconnect()
    finally:
        proc.terminate()
        proc.wait()
    baud = spec.bus.baudrate
    wire = (counted["out"] + counted["in"]) / ticks * 10 / baud if baud else float("nan")
    median = float(np.median(times))
    return {"median_ms": 1e3 * median, "p99_ms": 1e3 * float(np.percentile(times, 99)), "ticks_per_s": 1 / median,
            "bytes": (counted["out"] + counted["in"]) / ticks, "wire_ms": 1e3 * wire, "ratio": median / wire}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=500)
    args = parser.parse_args()
    buses = sorted(set(BUSES) & set(EMULATORS) & set(BAUD))
    print(f"serial buses with a driver and an emulator: {', '.join(buses)}; {args.ticks} ticks each")
    print(f"{'bus':10} {'face':7} {'median ms':>9} {'p99 ms':>7} {'ticks/s':>8} {'bytes':>6} {'wire ms':>8} "
          f"{'tick/wire':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for bus in buses:
            for face in FACES:
                n = load_spec(face).n
                if n > CHANNELS.get(bus, n):
                    print(f"{bus:10} {face:7} not measured: {n} servos do not fit one board ({CHANNELS[bus]} channels)")
                    continue
                r = measure(bus, face, args.ticks, Path(tmp))
                print(f"{bus:10} {face:7} {r['median_ms']:9.3f} {r['p99_ms']:7.3f} {r['ticks_per_s']:8.0f} "
                      f"{r['bytes']:6.0f} {r['wire_ms']:8.3f} {r['ratio']:9.2f}")


if __name__ == "__main__":
    main()
