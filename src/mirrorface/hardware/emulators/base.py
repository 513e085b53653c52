"""What every serial-bus emulator shares: a pseudo-terminal, emulated servos, injected faults.

A protocol subclasses `WireProtocol` and turns request bytes into reply bytes; it never touches
the terminal. `PtyEmulator` owns the pseudo-terminal (raw mode, a real `/dev/pts/N` that the
official SDKs open like any serial port) and feeds it. `EmulatedServos` moves the servos with the
simulator's dynamics on the wall clock, in the protocol's raw units; `ControlTable` gives servos
with a register map (Dynamixel, Feetech) their memory, so a protocol only frames packets.
"""

from __future__ import annotations

import json
import os
import select
import threading
import time
import tty
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TextIO

import numpy as np

from mirrorface.face.sim.dynamics import ServoDynamics
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.calibration import ActuatorCalibration, Calibration


class Fault(StrEnum):
    """Faults an emulator can inject (`--fault`)."""

    timeout = "timeout"  # stop answering
    checksum = "checksum"  # answer with a corrupt checksum/CRC
    overload = "overload"  # raise a servo's hardware-error bit
    disconnect = "disconnect"  # close the port (the cable pulled)


class EmulatedServos:
    """The servos of one face in raw units, moving with the simulator's servo dynamics.

    Args:
        spec: the face (servo ids, speed limits, lag, backlash).
        raw_at_0, raw_at_1: raw units of normalized 0 and 1 per actuator (the emulated robot's
            mechanics; a real robot's calibration file measures the same thing).
    """

    def __init__(self, spec: FaceSpec, raw_at_0: np.ndarray, raw_at_1: np.ndarray,
                 clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.ids = [a.servo_id if a.servo_id is not None else a.index for a in spec.ordered]
        self._slot = {servo_id: k for k, servo_id in enumerate(self.ids)}
        self.raw_at_0 = np.asarray(raw_at_0, float)
        self.raw_at_1 = np.asarray(raw_at_1, float)
        self.dynamics = ServoDynamics(spec.neutral, spec.speed, spec.sim.lag_s, spec.sim.backlash)
        self.torque = np.ones(spec.n, bool)
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def has(self, servo_id: int) -> bool:
        return servo_id in self._slot

    def _step(self) -> None:
        now = self._clock()
        self.dynamics.advance(now - self._last)
        self._last = now

    def _to_norm(self, k: int, raw: float) -> float:
        return (raw - self.raw_at_0[k]) / (self.raw_at_1[k] - self.raw_at_0[k])

    def set_goal(self, servo_id: int, raw: float) -> None:
        with self._lock:
            self._step()
            k = self._slot[servo_id]
            if self.torque[k]:
                self.dynamics.target[k] = np.clip(self._to_norm(k, raw), 0.0, 1.0)

    def present(self, servo_id: int) -> int:
        with self._lock:
            self._step()
            k = self._slot[servo_id]
            norm = self.dynamics.output[k]
            return int(round(self.raw_at_0[k] + norm * (self.raw_at_1[k] - self.raw_at_0[k])))

    def set_torque(self, servo_id: int, enabled: bool) -> None:
        with self._lock:
            self._step()
            k = self._slot[servo_id]
            self.torque[k] = enabled
            if not enabled:  # a limp servo stays where it is
                self.dynamics.target[k] = self.dynamics.motor[k]

    def positions(self) -> np.ndarray:
        """Present positions of every actuator, normalized (for an attached simulated camera)."""
        with self._lock:
            self._step()
            return self.dynamics.output.copy()


def emulated_mechanics(spec: FaceSpec, raw_min: int, raw_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw units of normalized 0 and 1 of an emulated robot's servos.

    Each servo travels 60% of its raw range around the middle; every second one is mounted
    reversed (raw_at_1 < raw_at_0), as on real faces, so drivers are tested in both directions.
    """
    centre, half = (raw_min + raw_max) / 2, 0.3 * (raw_max - raw_min)
    sign = np.where(np.arange(spec.n) % 2 == 0, 1.0, -1.0)
    return np.rint(centre - sign * half), np.rint(centre + sign * half)


def emulated_calibration(spec: FaceSpec, bus: str, servos: EmulatedServos) -> Calibration:
    """The calibration file a builder would measure on the emulated robot."""
    actuators = {}
    for k, a in enumerate(spec.ordered):
        at_0, at_1 = int(servos.raw_at_0[k]), int(servos.raw_at_1[k])
        actuators[a.name] = ActuatorCalibration(raw_at_0=at_0, raw_at_1=at_1,
                                                raw_neutral=int(round(at_0 + a.neutral * (at_1 - at_0))))
    return Calibration(face=spec.name, bus=bus, actuators=actuators)


@dataclass(frozen=True)
class Register:
    address: int
    size: int  # bytes

    def overlaps(self, address: int, length: int) -> bool:
        return address < self.address + self.size and self.address < address + length


@dataclass(frozen=True)
class ControlTableLayout:
    """Where a servo family keeps what the emulator models (from the vendor's control table)."""

    model: Register
    model_number: int
    id: Register
    torque: Register
    goal: Register
    present: Register
    hardware_error: Register
    overload_bit: int  # the hardware-error bit an overload sets
    byteorder: str = "little"
    size: int = 256


class ControlTable:
    """Each servo's register memory; reads refresh the present position, writes move the servo."""

    def __init__(self, servos: EmulatedServos, layout: ControlTableLayout):
        self.servos, self.layout = servos, layout
        self.memory: dict[int, bytearray] = {}
        for servo_id in servos.ids:
            mem = bytearray(layout.size)
            self.memory[servo_id] = mem
            self._put(mem, layout.model, layout.model_number)
            self._put(mem, layout.id, servo_id)
            self._put(mem, layout.torque, 1)
            self._put(mem, layout.goal, servos.present(servo_id))

    def _put(self, mem: bytearray, reg: Register, value: int) -> None:
        mem[reg.address:reg.address + reg.size] = value.to_bytes(reg.size, self.layout.byteorder, signed=True)

    def _get(self, mem: bytearray, reg: Register) -> int:
        return int.from_bytes(mem[reg.address:reg.address + reg.size], self.layout.byteorder, signed=True)

    def fits(self, address: int, length: int) -> bool:
        return address >= 0 and length >= 0 and address + length <= self.layout.size

    def read(self, servo_id: int, address: int, length: int) -> bytes:
        mem = self.memory[servo_id]
        if self.layout.present.overlaps(address, length):
            self._put(mem, self.layout.present, self.servos.present(servo_id))
        return bytes(mem[address:address + length])

    def write(self, servo_id: int, address: int, data: bytes) -> int | None:
        """Store `data`; returns the new goal in raw units when the write set one."""
        mem, layout = self.memory[servo_id], self.layout
        mem[address:address + len(data)] = data
        if layout.torque.overlaps(address, len(data)):
            self.servos.set_torque(servo_id, bool(self._get(mem, layout.torque)))
        if layout.goal.overlaps(address, len(data)):
            goal = self._get(mem, layout.goal)
            self.servos.set_goal(servo_id, goal)
            return goal
        return None

    def hardware_error(self, servo_id: int) -> int:
        return self._get(self.memory[servo_id], self.layout.hardware_error)

    def overload(self, servo_id: int) -> None:
        """What a real servo does on overload: set the error bit and let go (torque off)."""
        mem = self.memory[servo_id]
        self._put(mem, self.layout.hardware_error, self.hardware_error(servo_id) | self.layout.overload_bit)
        self.write(servo_id, self.layout.torque.address, bytes(self.layout.torque.size))


class WireProtocol(ABC):
    """One bus protocol: request bytes in, reply bytes out (b"" when the protocol stays silent).

    Args:
        servos: the emulated servos.
        log: where each goal write is recorded as a JSON line {"t": seconds, "goals": {id: raw}}
            (what the emulator received, for checking it against what the safety layer sent).
    """

    #: The protocol's raw position range (ticks), for `emulated_mechanics`.
    raw_limits: ClassVar[tuple[int, int]] = (0, 4095)

    def __init__(self, servos: EmulatedServos, log: TextIO | None = None):
        self.servos = servos
        self.fault: Fault | None = None  # set by the emulator once an injected fault is due
        self._log = log

    @abstractmethod
    def feed(self, data: bytes) -> bytes:
        """Consume request bytes (any split: partial packets are kept for the next call)."""

    def inject(self, fault: Fault) -> None:
        """Start a fault (the first servo takes an overload)."""
        self.fault = fault

    def _received(self, goals: dict[int, int]) -> None:
        if self._log is not None and goals:
            self._log.write(json.dumps({"t": time.monotonic(), "goals": goals}) + "\n")
            self._log.flush()


class RegisterProtocol(WireProtocol):
    """A protocol of servos with a control table: faults act on the replies and the registers."""

    layout: ClassVar[ControlTableLayout]

    def __init__(self, servos: EmulatedServos, log: TextIO | None = None):
        super().__init__(servos, log)
        self.table = ControlTable(servos, self.layout)
        self._buffer = bytearray()

    def inject(self, fault: Fault) -> None:
        super().inject(fault)
        if fault is Fault.overload:
            self.table.overload(self.servos.ids[0])

    def _out(self, packet: bytes) -> bytes:
        """A reply as the faulty wire delivers it: lost, or with its last check byte flipped."""
        if self.fault is Fault.timeout:
            return b""
        if self.fault is Fault.checksum:
            return packet[:-1] + bytes([packet[-1] ^ 0xFF])
        return packet


EMULATORS: dict[str, type[WireProtocol]] = {}


def register_emulator(name: str) -> Callable[[type[WireProtocol]], type[WireProtocol]]:
    """Class decorator: make a protocol available as `mirrorface emulate <name>`."""

    def register(cls: type[WireProtocol]) -> type[WireProtocol]:
        EMULATORS[name] = cls
        return cls

    return register


class PtyEmulator:
    """Serve a `WireProtocol` on a new pseudo-terminal until `stop()`.

    `port` is the `/dev/pts/N` a driver opens. With `fault` and `fault_after`, the fault starts
    that many seconds after the first request arrives.
    """

    def __init__(self, protocol: WireProtocol, fault: Fault | None = None, fault_after: float = 0.0):
        self.protocol = protocol
        self._fault, self._fault_after = fault, fault_after
        self._master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave  # kept open so the port exists while no client holds it
        self._stop = threading.Event()
        self._idle = threading.Event()  # set while nothing sent to the port waits to be answered
        self._thread: threading.Thread | None = None
        self._started: float | None = None

    def start(self) -> PtyEmulator:
        self._thread = threading.Thread(target=self.serve, name="pty-emulator", daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        """Answer requests until `stop()` or an injected disconnect; closes the terminal on the way out."""
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    self._idle.set()
                    continue
                self._idle.clear()
                try:
                    data = os.read(self._master, 4096)
                except OSError:  # no client holds the port right now
                    time.sleep(0.01)
                    continue
                if self._due():
                    if self._fault is Fault.disconnect:
                        return
                    self.protocol.inject(self._fault)
                    self._fault = None
                reply = self.protocol.feed(data)
                while reply:
                    reply = reply[os.write(self._master, reply):]
        finally:
            self._close()

    def _due(self) -> bool:
        if self._started is None:
            self._started = time.monotonic()
        return self._fault is not None and time.monotonic() - self._started >= self._fault_after

    def _close(self) -> None:
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def stop(self) -> None:
        """Stop serving and close the terminal (safe to call twice, or from another thread)."""
        self._stop.set()
        if self._thread is None:
            self._close()
        elif self._thread is not threading.current_thread():
            self._thread.join()

    def drain(self, timeout: float = 2.0) -> None:
        """Wait until everything sent to the port so far has been handled (for tests)."""
        self._idle.clear()
        self._idle.wait(timeout)

    def wait(self) -> None:
        """Block until serving ends (an injected disconnect, or `stop()` from another thread)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.2)  # short joins keep Ctrl-C responsive

    def __enter__(self) -> PtyEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def emulate(bus: str, spec: FaceSpec, *, fault: Fault | None = None, fault_after: float = 0.0,
            log: TextIO | None = None) -> PtyEmulator:
    """An emulator of `spec`'s servos speaking `bus`'s protocol (not started yet).

    Its servos have the mechanics of `emulated_mechanics`; `emulated_calibration(spec, bus,
    emulator.protocol.servos)` is the calibration file that matches them.
    """
    from mirrorface.errors import MirrorfaceError

    try:
        protocol = EMULATORS[bus]
    except KeyError:
        raise MirrorfaceError(f"no emulator for bus {bus!r} (known: {', '.join(sorted(EMULATORS))})") from None
    servos = EmulatedServos(spec, *emulated_mechanics(spec, *protocol.raw_limits))
    return PtyEmulator(protocol(servos, log), fault, fault_after)
