"""Audio out, and the clock the lips follow: the position of the sound the listener hears.

A sink takes mono float32 samples as they are ready (`write`, never blocking) and plays them
from the first write on. Its clock (`heard`, or `clock()` for the scheduler) is the time, in
seconds of the written sound, that has reached the listener: output latency already taken off,
and paused while the sink is starved (a late planner makes the sound stop, and the lips wait
with it instead of running ahead). Lip commands stamped in those seconds therefore meet their
sound whatever the device's latency.

- `DeviceSink`: the sound card through `sounddevice` (PortAudio). Its clock comes from
  PortAudio's stream time and each buffer's DAC time, so the device's own latency is measured,
  not assumed.
- `FileSink`: where there is no sound card (CI, servers, tests). It plays into a WAV file as a
  device would, `pace` times real time, and inserts silence where a device would have been
  starved, so the file is what a listener would have heard and the clock has the same meaning.

`open_sink` picks the device when one exists, else a file, and says which in one line.
"""

from __future__ import annotations

import queue
import threading
import time
import wave
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from mirrorface.errors import DeviceError, MirrorfaceError
from mirrorface.runtime.clock import Clock


class SinkClock(Clock):
    """A sink's `heard` as a `Clock`."""

    def __init__(self, sink: AudioSink):
        self.sink = sink

    def now(self) -> float:
        return self.sink.heard()


class AudioSink:
    """Plays samples written to it; `heard()` is the listener's position in them (s)."""

    sample_rate: int
    description: str

    def write(self, samples: np.ndarray) -> None:
        raise NotImplementedError

    def heard(self) -> float:
        raise NotImplementedError

    @property
    def written(self) -> float:
        """Seconds of sound written so far."""
        raise NotImplementedError

    def clock(self) -> SinkClock:
        return SinkClock(self)

    def drain(self, stop=None) -> bool:
        """Wait until everything written has been heard (False if `stop()` came first)."""
        return self.clock().wait_until(self.written, stop)

    def close(self) -> None:
        pass

    def __enter__(self) -> AudioSink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _pcm16(samples: np.ndarray) -> bytes:
    return np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class FileSink(AudioSink):
    """Plays into a 16-bit WAV at `pace` times real time, as a device would (see the module doc).

    Args:
        latency_s: the output latency to emulate (a file has none; tests set one).
    """

    def __init__(self, path: str | Path, sample_rate: int, *, pace: float = 1.0, latency_s: float = 0.0):
        if not pace > 0:
            raise MirrorfaceError(f"the file sink's pace must be positive, got {pace}")
        self.path, self.sample_rate, self.pace, self.latency_s = Path(path), int(sample_rate), pace, latency_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._wav = wave.open(str(self.path), "wb")  # noqa: SIM115 (closed by close())
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(self.sample_rate)
        self._started: float | None = None
        self._content = 0  # frames of sound written
        self._silence = 0  # frames of silence played while starved
        self._lock = threading.Lock()
        self.description = f"audio file {self.path}"

    def _played(self) -> float:
        """Frames a device would have played by now (sound and starved silence)."""
        if self._started is None:
            return 0.0
        return (time.perf_counter() - self._started) * self.pace * self.sample_rate

    def write(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, np.float32)
        with self._lock:
            if self._started is None:
                self._started = time.perf_counter()
            starved = int(self._played()) - (self._content + self._silence)
            if starved > 0:  # the device ran dry before these samples came: it played silence
                self._wav.writeframes(bytes(2 * starved))
                self._silence += starved
            self._wav.writeframes(_pcm16(samples))
            self._content += len(samples)

    def heard(self) -> float:
        with self._lock:
            reached = self._played() - self.latency_s * self.pace * self.sample_rate  # at the listener
            sound = min(reached - self._silence, self._content)
        return max(sound, 0.0) / self.sample_rate

    @property
    def written(self) -> float:
        return self._content / self.sample_rate

    @property
    def starved_s(self) -> float:
        """Seconds of silence inserted because samples came late."""
        return self._silence / self.sample_rate

    def close(self) -> None:
        with self._lock:
            if self._wav is not None:
                self._wav.close()  # writes the header's final length: the WAV is complete
                self._wav = None


class DeviceSink(AudioSink):
    """The default sound card through PortAudio (see the module doc)."""

    def __init__(self, sample_rate: int, device=None):
        import sounddevice as sd

        self.sample_rate = int(sample_rate)
        self._queue: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._content = 0  # frames written
        self._delivered = 0  # frames of sound handed to the device so far
        self._buffers: deque[tuple[float, int, int]] = deque(maxlen=64)  # (DAC time, first frame, frames)
        self._stream = sd.OutputStream(samplerate=self.sample_rate, channels=1, dtype="float32",
                                       device=device, callback=self._fill)
        self.description = f"sound device {sd.query_devices(self._stream.device)['name']!r}"
        self._stream.start()

    def _fill(self, out, frames, time_info, status) -> None:  # PortAudio's thread
        out.fill(0.0)
        with self._lock:
            first, k = self._delivered, 0
            while k < frames and self._queue:
                block = self._queue[0]
                n = min(frames - k, len(block))
                out[k : k + n, 0] = block[:n]
                k += n
                if n == len(block):
                    self._queue.popleft()
                else:
                    self._queue[0] = block[n:]
            self._delivered += k
            if k:
                self._buffers.append((time_info.outputBufferDacTime, first, k))

    def write(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, np.float32)
        with self._lock:
            self._queue.append(samples)
            self._content += len(samples)

    def heard(self) -> float:
        now = self._stream.time
        with self._lock:
            past = [b for b in self._buffers if b[0] <= now]
        if not past:
            return self._buffers[0][1] / self.sample_rate if self._buffers else 0.0
        dac, first, frames = past[-1]
        return (first + min((now - dac) * self.sample_rate, frames)) / self.sample_rate

    @property
    def written(self) -> float:
        return self._content / self.sample_rate

    def close(self) -> None:
        self._stream.stop()  # plays what was queued to the device, then stops
        self._stream.close()


def output_device() -> int | None:
    """The default output device's index, or None where there is none (or no PortAudio library)."""
    try:
        import sounddevice as sd
    except (ImportError, OSError):  # OSError: the PortAudio library itself is missing
        return None
    try:
        device = sd.default.device[1]
        if device is None or device < 0:
            device = next(i for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] > 0)
        return int(device)
    except (sd.PortAudioError, StopIteration):
        return None


def microphone_blocks(sample_rate: int = 16000, block_s: float = 0.02) -> Iterator[np.ndarray]:
    """The default microphone, mono float32 blocks of `block_s` as they are captured (until closed)."""
    if not _has_input():
        raise DeviceError("no microphone: give the speech as a WAV on standard input (--audio -)")
    import sounddevice as sd

    captured: queue.Queue = queue.Queue()
    with sd.InputStream(samplerate=sample_rate, channels=1, dtype="float32", blocksize=int(block_s * sample_rate),
                        callback=lambda data, frames, when, status: captured.put(data[:, 0].copy())):
        while True:
            yield captured.get()


def _has_input() -> bool:
    try:
        import sounddevice as sd

        return any(d["max_input_channels"] > 0 for d in sd.query_devices())
    except (ImportError, OSError):
        return False


def open_sink(sample_rate: int, path: str | Path | None, fallback: str | Path) -> tuple[AudioSink, str | None]:
    """A file sink at `path` if given; else the sound card, or (without one) a file at `fallback`.

    Returns the sink and, when the file stands in for a missing device, the line that says so.
    """
    if path is not None:
        return FileSink(path, sample_rate), None
    device = output_device()
    if device is not None:
        import sounddevice as sd

        try:
            return DeviceSink(sample_rate, device), None
        except sd.PortAudioError as exc:
            raise DeviceError(f"the sound device would not open ({exc}); use --audio-out FILE") from None
    return FileSink(fallback, sample_rate), f"no sound output device: writing the audio to {fallback}"
