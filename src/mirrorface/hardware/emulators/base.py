"""What every serial-bus emulator shares: a pseudo-terminal, emulated servos, injected faults.

A protocol subclasses `WireProtocol` and turns request bytes into reply bytes; it never touches
the terminal. `PtyEmulator` owns the pseudo-terminal (raw mode, a real `/dev/pts/N` that the
official SDKs open like any serial port) and feeds it. `EmulatedServos` moves the servos with the
simulator's dynamics on the wall clock, in the protocol's raw units.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from abc import ABC, abstractmethod
from enum import Enum

import numpy as np

from mirrorface.face.sim.dynamics import ServoDynamics
from mirrorface.face.spec import FaceSpec


class Fault(str, Enum):
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
                 clock=time.monotonic):
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


class WireProtocol(ABC):
    """One bus protocol: request bytes in, reply bytes out (b"" when the protocol stays silent)."""

    def __init__(self, servos: EmulatedServos):
        self.servos = servos
        self.fault: Fault | None = None  # set by the emulator once an injected fault is due
        self.received: list[tuple[float, dict[int, int]]] = []  # (time, goal raw by id) of each write

    @abstractmethod
    def feed(self, data: bytes) -> bytes:
        """Consume request bytes (any split: partial packets are kept for the next call)."""


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
        self._thread: threading.Thread | None = None
        self._started: float | None = None

    def start(self) -> PtyEmulator:
        self._thread = threading.Thread(target=self.serve, name="pty-emulator", daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                continue
            if self._started is None:
                self._started = time.monotonic()
            if self._fault is not None and time.monotonic() - self._started >= self._fault_after:
                self.protocol.fault = self._fault
                if self._fault is Fault.disconnect:
                    self.stop()
                    return
            reply = self.protocol.feed(data)
            if reply:
                os.write(self._master, reply)

    def stop(self) -> None:
        self._stop.set()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = -1

    def __enter__(self) -> PtyEmulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
