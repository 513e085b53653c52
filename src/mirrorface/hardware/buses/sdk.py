"""What the Dynamixel and Feetech drivers share: their vendors' SDKs have the same shape.

Both SDKs offer a `PortHandler` (the serial port), a `PacketHandler` (the protocol) and
`GroupSyncWrite`/`GroupSyncRead`; a driver names its SDK module and its control table, and this
class does the rest: ping every servo at open, one sync write of goal positions and one sync read
of present positions per tick, retries of missing or corrupt replies, and hardware-error bits
turned into a `BusFault` that names the servo and the fault.
"""

from __future__ import annotations

import termios
from collections.abc import Callable
from types import ModuleType
from typing import ClassVar

import numpy as np

from mirrorface.hardware.bus import BusFault, MotorBus

DEFAULT_BAUDRATE = 1_000_000


def _port_handler(sdk: ModuleType, timeout_ms: float) -> type:
    class Port(sdk.PortHandler):
        """The SDK's port with the spec's reply timeout and a blocking read.

        The SDKs open the port with `timeout=0` and poll it in a tight loop; a 1 ms blocking read
        gives the same latency without spinning a core (the servo or the emulator needs it).
        """

        def setupPort(self, cflag_baud):  # noqa: N802 (the SDK's name)
            opened = super().setupPort(cflag_baud)
            self.ser.timeout = 0.001
            return opened

        def setPacketTimeout(self, packet_length):  # noqa: N802
            self.packet_start_time = self.getCurrentTime()
            self.packet_timeout = self.tx_time_per_byte * packet_length + timeout_ms

    return Port


class SdkBus(MotorBus):
    """A bus driven through a vendor SDK shaped like ROBOTIS's (Dynamixel, Feetech)."""

    sdk: ClassVar[ModuleType]
    protocol: ClassVar[float]  # the SDK's PacketHandler argument
    torque: ClassVar[tuple[int, int]]  # (address, bytes) of torque enable
    goal: ClassVar[tuple[int, int]]
    present: ClassVar[tuple[int, int]]
    hardware_error: ClassVar[tuple[int, int]]
    error_bits: ClassVar[dict[int, str]]  # hardware-error register bit -> what it means
    alert: ClassVar[int]  # the bits of a status packet's error byte that report a hardware error

    def _open(self) -> None:
        bus = self.spec.bus
        if not bus.port:
            raise BusFault(f"face {self.spec.name!r}: [bus] type = {self.type!r} needs a port, e.g. "
                           "port = \"/dev/ttyUSB0\" (or the /dev/pts/N that `mirrorface emulate` prints)")
        self._lost = ""  # why the port vanished, once it has
        self.port = _port_handler(self.sdk, bus.timeout_ms)(bus.port)
        self.port.baudrate = bus.baudrate or DEFAULT_BAUDRATE
        self.packets = self.sdk.PacketHandler(self.protocol)
        try:
            opened = self.port.openPort()
        except OSError as exc:
            raise BusFault(f"cannot open {bus.port}: {exc}") from None
        if not opened:
            raise BusFault(f"{bus.port}: the {self.type} SDK does not support {self.port.baudrate} baud")
        try:
            for servo_id in self.ids:
                self._retry(lambda i=servo_id: self.packets.ping(self.port, i)[1:], servo_id, "ping")
        except BusFault:
            self.port.closePort()
            raise
        self._writer = self.sdk.GroupSyncWrite(self.port, self.packets, *self.goal)
        self._reader = self.sdk.GroupSyncRead(self.port, self.packets, *self.present)
        for servo_id in self.ids:
            self._writer.addParam(servo_id, [0] * self.goal[1])
            self._reader.addParam(servo_id)

    def _close(self) -> None:
        self.port.closePort()

    def _write_raw(self, raw: np.ndarray) -> None:
        for servo_id, value in zip(self.ids, raw, strict=True):
            self._writer.changeParam(servo_id, list(int(value).to_bytes(self.goal[1], "little", signed=True)))
        self._wire(lambda: self._check(self._writer.txPacket(), "sync write"))

    def _read_raw(self) -> np.ndarray:
        """One sync read; each servo's status packet is read with the SDK's `readRx`, which keeps
        its error byte (the SDK's own `GroupSyncRead.rxPacket` drops it)."""
        tries = self.spec.bus.retries + 1
        for _ in range(tries):
            self._wire(lambda: self._check(self._reader.txPacket(), "sync read"))
            raw, errors, failed = [], {}, None
            for servo_id in self.ids:
                data, result, error = self._wire(lambda i=servo_id: self.packets.readRx(self.port, i, self.present[1]))
                if result != self.sdk.COMM_SUCCESS:
                    failed = (servo_id, result)
                    break
                raw.append(int.from_bytes(bytes(data), "little", signed=True))
                if error & self.alert:
                    errors[servo_id] = error
            if failed is None:
                if errors:
                    self._raise_hardware_error(errors)
                return np.array(raw)
        servo_id, result = failed
        raise BusFault(f"{self.name_of(servo_id)} (id {servo_id}): no valid reply to a sync read after "
                       f"{tries} tries ({self.packets.getTxRxResult(result)})")

    def _set_torque(self, enabled: bool) -> None:
        """One sync write to every servo: it needs no reply, so it also reaches the servos after a
        wire fault (torque off is what a fault ends with)."""
        torque = self.sdk.GroupSyncWrite(self.port, self.packets, *self.torque)
        for servo_id in self.ids:
            torque.addParam(servo_id, [int(enabled)] * self.torque[1])
        self._wire(lambda: self._check(torque.txPacket(), "torque " + ("on" if enabled else "off")))

    def _read_faults(self) -> dict[int, str]:
        faults = {}
        for servo_id in self.ids:
            value, result, _ = self._wire(
                lambda i=servo_id: self.packets.read1ByteTxRx(self.port, i, self.hardware_error[0]))
            if result == self.sdk.COMM_SUCCESS and value:
                faults[servo_id] = self._describe(value)
        return faults

    # -- helpers ------------------------------------------------------------------------------

    def _describe(self, value: int) -> str:
        names = [name for bit, name in self.error_bits.items() if value & bit]
        return ", ".join(names) or f"hardware error 0x{value:02x}"

    def _raise_hardware_error(self, errors: dict[int, int]) -> None:
        found = self._read_faults()
        servo_id = next(iter(errors))
        cause = found.get(servo_id, f"hardware error (status 0x{errors[servo_id]:02x})")
        raise BusFault(f"{self.name_of(servo_id)} (id {servo_id}): {cause}")

    def _wire(self, op: Callable):
        """Run one SDK call; a vanished port (the cable pulled, the emulator gone) is a BusFault.

        The SDKs mark the port busy before writing and free it only once a reply is read, so a
        call that dies half-way leaves it marked: it is freed here, and the port stays known lost.
        A call cut short by Ctrl-C frees it too: the face's way back to its safe pose writes next
        (the SDK clears the port's input before each packet, so a late reply cannot be misread).
        """
        if self._lost:
            raise BusFault(f"{self.spec.bus.port}: the port is gone ({self._lost})")
        try:
            return op()
        except (OSError, termios.error) as exc:
            self.port.is_using = False
            self._lost = str(exc.args[-1]) if exc.args else type(exc).__name__
            raise BusFault(f"{self.spec.bus.port}: the port is gone ({self._lost})") from None
        except BaseException:
            self.port.is_using = False
            raise

    def _check(self, result: int, what: str) -> None:
        if result != self.sdk.COMM_SUCCESS:
            raise BusFault(f"{self.spec.bus.port}: {what} failed ({self.packets.getTxRxResult(result)})")

    def _retry(self, op: Callable[[], tuple[int, int]], servo_id: int, what: str) -> None:
        """Run a request until it is answered, at most `retries` + 1 times."""
        tries = self.spec.bus.retries + 1
        for _ in range(tries):
            try:
                result, error = self._wire(op)
            except IndexError:  # the SDK took a late reply to an earlier try for this one: too short
                result, error = self.sdk.COMM_RX_CORRUPT, 0
            if result == self.sdk.COMM_SUCCESS:
                if error & self.alert:
                    self._raise_hardware_error({servo_id: error})
                return
        raise BusFault(f"{self.name_of(servo_id)} (id {servo_id}): no valid reply to {what} after {tries} tries "
                       f"({self.packets.getTxRxResult(result)}); check its id, power and wiring")
