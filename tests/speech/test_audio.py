"""load_audio / resample / save_wav on real files written by the stdlib and by ffmpeg (PyAV)."""

from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.audio import SILENCE_RMS, load_audio, resample, save_wav


def tone(freq=440.0, seconds=1.0, rate=22050, amp=0.5):
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_freq(audio, rate):
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)]


def encode(path, channels: np.ndarray, rate: int, codec: str):
    """Write (channels, samples) float audio with ffmpeg's `codec`."""
    layout = "mono" if len(channels) == 1 else "stereo"
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = layout
        pcm = (np.clip(channels, -1, 1).T.reshape(1, -1) * 32767).astype(np.int16)  # interleaved s16
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_wav_round_trip_and_resampling(tmp_path):
    x = tone(rate=22050)
    path = save_wav(tmp_path / "tone.wav", x, 22050)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
    same = load_audio(path, sample_rate=22050)
    assert same.dtype == np.float32 and same.shape == x.shape
    assert np.max(np.abs(same - x)) < 2 / 32767  # 16-bit quantisation only
    y = load_audio(path)  # default 16 kHz
    assert abs(len(y) - 16000) <= 2
    assert abs(dominant_freq(y, 16000) - 440) < 2


@pytest.mark.parametrize(("suffix", "codec"), [("flac", "flac"), ("mp3", "libmp3lame")])
def test_compressed_stereo_is_mixed_to_mono(tmp_path, suffix, codec):
    left, right = tone(440, amp=0.6), tone(440, amp=0.2)
    path = tmp_path / f"tone.{suffix}"
    encode(path, np.stack([left, right]), 22050, codec)
    y = load_audio(path)
    assert y.ndim == 1 and y.dtype == np.float32
    assert abs(len(y) - 16000) < 0.1 * 16000  # mp3 adds encoder padding
    assert abs(dominant_freq(y, 16000) - 440) < 2
    assert np.percentile(np.abs(y), 99.9) == pytest.approx(0.4, abs=0.03)  # mean of the channels


def test_resample_preserves_duration_and_pitch():
    x = tone(1000, seconds=0.5, rate=44100)
    y = resample(x, 44100, 16000)
    assert y.dtype == np.float32 and len(y) == 8000
    assert abs(dominant_freq(y, 16000) - 1000) < 4
    assert np.array_equal(resample(x, 44100, 44100), x)


def test_save_wav_clips_and_refuses_bad_audio(tmp_path):
    path = save_wav(tmp_path / "loud.wav", np.array([2.0, -2.0, 0.5], np.float32), 8000)
    assert np.allclose(load_audio(path, 8000)[:2], [1.0, -1.0], atol=1e-4)
    with pytest.raises(MirrorfaceError, match="NaN"):
        save_wav(tmp_path / "nan.wav", np.array([0.0, np.nan]), 8000)
    with pytest.raises(MirrorfaceError, match="mono"):
        save_wav(tmp_path / "stereo.wav", np.zeros((10, 2)), 8000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loud.wav"]  # no temp files left behind


def bad_files(tmp_path):
    good = save_wav(tmp_path / "good.wav", tone(), 22050).read_bytes()
    files = {
        "missing": (tmp_path / "nope.wav", "not found"),
        "empty": (tmp_path / "empty.wav", "empty"),
        "corrupt bytes": (tmp_path / "corrupt.mp3", "not an audio file, or corrupt"),
        "header only": (tmp_path / "header_only.wav", "decodes to no samples"),
        "cut inside the header": (tmp_path / "cut_header.wav", "not an audio file, or corrupt"),
        "silent": (tmp_path / "silent.wav", "silent"),
        "text": (tmp_path / "notes.txt", "no audio stream|not an audio file"),
        "directory": (tmp_path, "not a file"),
    }
    files["empty"][0].write_bytes(b"")
    files["corrupt bytes"][0].write_bytes(np.random.default_rng(0).bytes(4000))
    files["header only"][0].write_bytes(good[:44])  # a WAV header promising data that never came
    files["cut inside the header"][0].write_bytes(good[:30])
    save_wav(files["silent"][0], np.zeros(16000, np.float32), 16000)
    files["text"][0].write_text("hello world\n" * 100)
    return files


def test_bad_input_gives_one_line_errors(tmp_path):
    for name, (path, message) in bad_files(tmp_path).items():
        with pytest.raises(MirrorfaceError, match=message) as err:
            load_audio(path)
        assert "\n" not in str(err.value), name


def test_silence_threshold_is_an_rms_level(tmp_path):
    quiet = np.full(16000, 0.5 * SILENCE_RMS, np.float32) * np.sign(np.sin(np.arange(16000)))
    with pytest.raises(MirrorfaceError, match="dBFS"):
        load_audio(save_wav(tmp_path / "hum.wav", quiet, 16000))
    whisper = tone(amp=0.01, rate=16000)  # -43 dBFS RMS: quiet but real
    assert len(load_audio(save_wav(tmp_path / "whisper.wav", whisper, 16000))) == 16000
