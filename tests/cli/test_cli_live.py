"""`say --realtime` from the command line: speaks in real time, and Ctrl-C ends safe with exit 130."""

import os
import subprocess
import sys
import wave

import numpy as np
import pytest

from mirrorface.face.spec import load_spec

from .helpers import interrupted

LONG = "Hello there. " + "My programming allows me to process data, and to answer questions. " * 6


def test_ctrl_c_during_say_realtime_ends_at_neutral_with_130(tmp_path):
    sent, wav = tmp_path / "sent.csv", tmp_path / "say.wav"
    code, _, err = interrupted(["say", LONG, "--realtime", "--audio-out", str(wav), "--trajectory", str(sent),
                                "--out", str(tmp_path / "say.mp4"), "--deadline-ms", "1000"],
                               lambda: sent.is_file() and len(sent.read_text().splitlines()) > 15,  # speaking
                               60, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert code == 130, err
    assert err.strip().splitlines()[-1].startswith("interrupted"), err
    rows = np.loadtxt(sent, delimiter=",", skiprows=1)
    neutral = load_spec("lips10").neutral
    assert len(rows) > 15 and np.abs(rows[:15, 1:] - neutral).max() > 0.05  # it was speaking
    assert np.allclose(rows[-1, 1:], neutral, atol=1e-6)  # ... and ended at its safe pose
    with wave.open(str(wav)) as w:  # the sound played so far is a complete WAV
        assert w.getnframes() > 0


def test_say_realtime_speaks_the_whole_text(tmp_path):
    sent, wav = tmp_path / "sent.csv", tmp_path / "say.wav"
    result = subprocess.run(
        [sys.executable, "-m", "mirrorface", "say", "Hello there, papa.", "--realtime", "--audio-out", str(wav),
         "--trajectory", str(sent), "--deadline-ms", "1000"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    assert "in 2 chunks" in result.stdout and "dropped" in result.stdout
    rows = np.loadtxt(sent, delimiter=",", skiprows=1)
    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert 0.8 < seconds < 3 and rows[-1, 0] <= seconds + 0.6  # commands end with the sound (and the glide home)


def test_say_realtime_follows_a_wav_streamed_on_stdin(tmp_path):
    from mirrorface.speech.audio import save_wav
    from mirrorface.speech.tts import synthesize

    speech = synthesize("Hello there, papa.")
    source, echo, sent = tmp_path / "in.wav", tmp_path / "out.wav", tmp_path / "sent.csv"
    save_wav(source, speech.audio, speech.sample_rate)
    with source.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "mirrorface", "say", "--audio", "-", "--realtime", "--lookahead-ms", "200",
             "--deadline-ms", "1000", "--audio-out", str(echo), "--trajectory", str(sent)], stdin=stdin,
            capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    rows = np.loadtxt(sent, delimiter=",", skiprows=1)
    assert len(rows) == int(np.ceil(len(speech.audio) * 30 / speech.sample_rate)) - int(result.stdout.split(
        " dropped")[0].rsplit(" ", 1)[-1])  # every frame's command was sent or counted as dropped
    with wave.open(str(echo)) as w:  # the same sound played (after 10 ms of preroll)
        played = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32767.0
    start = int(0.01 * speech.sample_rate)
    assert np.allclose(played[start : start + len(speech.audio)], speech.audio, atol=2e-4)


def test_say_realtime_with_nothing_to_say_is_one_line(tmp_path, capsys):
    from mirrorface.cli.main import main

    assert main(["say", "...", "--realtime", "--audio-out", str(tmp_path / "a.wav")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err


@pytest.mark.parametrize("args, needle", [
    (["--audio-out", "a.wav"], "--audio-out apply to a live performance"),
    (["--lead-ms", "40", "--deadline-ms", "500"], "--lead-ms, --deadline-ms apply to a live performance"),
    (["--realtime", "--lead-ms", "nan"], "--lead-ms must be within"),
])
def test_live_options_are_checked_before_anything_starts(args, needle, tmp_path, capsys):
    from mirrorface.cli.main import main

    assert main(["say", "papa", "--out", str(tmp_path / "s.mp4"), *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not list(tmp_path.iterdir())
