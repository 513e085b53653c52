"""Audio sinks: the file sink plays as a device would, and its clock is the sound the listener hears."""

import time
import wave

import numpy as np

from mirrorface.runtime import audio
from mirrorface.runtime.audio import FileSink, open_sink

RATE = 8000


def read_wav(path):
    with wave.open(str(path)) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0


def test_the_clock_follows_the_sound_at_its_pace_and_the_file_holds_it(tmp_path):
    tone = np.full(RATE // 2, 0.5, np.float32)  # 0.5 s
    with FileSink(tmp_path / "a.wav", RATE, pace=4.0) as sink:
        assert sink.heard() == 0.0  # nothing written: nothing heard
        sink.write(tone)
        started = time.perf_counter()
        assert sink.clock().wait_until(0.25)
        assert 0.25 <= sink.heard() <= 0.5
        assert sink.drain()
        assert time.perf_counter() - started >= 0.5 / 4  # played at its pace, never faster
        assert sink.heard() == sink.written == 0.5
    rate, samples = read_wav(tmp_path / "a.wav")
    assert rate == RATE and len(samples) == len(tone) and np.allclose(samples, 0.5, atol=1e-4)


def test_a_starved_sink_pauses_its_clock_and_plays_silence(tmp_path):
    with FileSink(tmp_path / "b.wav", RATE, pace=4.0) as sink:
        sink.write(np.full(RATE // 10, 0.5, np.float32))  # 0.1 s, played in 25 ms
        sink.drain()
        sink.clock().wait_until(0.1)
        time.sleep(0.05)  # 0.2 s of sound time with nothing to play
        assert sink.heard() == 0.1  # the clock waits with the sound
        sink.write(np.full(RATE // 10, 0.5, np.float32))
        assert sink.starved_s >= 0.2
        assert sink.drain() and abs(sink.heard() - 0.2) < 1e-9
    _, samples = read_wav(tmp_path / "b.wav")
    gap = samples[RATE // 10 : RATE // 10 + int(0.2 * RATE)]
    assert np.all(gap == 0) and np.allclose(samples[-RATE // 10 :], 0.5, atol=1e-4)


def test_output_latency_is_taken_off_the_clock(tmp_path):
    with FileSink(tmp_path / "c.wav", RATE, pace=4.0, latency_s=0.5) as sink:
        sink.write(np.zeros(RATE // 4, np.float32))
        started = time.perf_counter()
        assert sink.heard() == 0.0  # the first samples are still on their way to the listener
        assert sink.drain()
        assert time.perf_counter() - started >= (0.25 + 0.5) / 4  # heard to the end, 0.5 s later
        assert sink.heard() == 0.25


def test_without_a_sound_device_the_file_stands_in_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "output_device", lambda: None)
    sink, note = open_sink(RATE, None, tmp_path / "say.wav")
    sink.close()
    assert isinstance(sink, FileSink) and note == f"no sound output device: writing the audio to {tmp_path / 'say.wav'}"
    sink, note = open_sink(RATE, tmp_path / "asked.wav", tmp_path / "say.wav")
    sink.close()
    assert isinstance(sink, FileSink) and note is None and (tmp_path / "asked.wav").is_file()
