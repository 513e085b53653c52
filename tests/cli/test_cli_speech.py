"""`mirrorface phonemes | target | cues` through the real CLI."""

import json
import subprocess
import sys
import wave

import numpy as np
import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "mirrorface", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def one_error_line(result):
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def write_wav(path, audio, rate=16000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def test_phonemes_prints_a_timeline_in_japanese():
    result = run("phonemes", "こんにちは", "--lang", "ja", "--json")
    rows = json.loads(result.stdout)
    assert result.returncode == 0 and len(rows) >= 8
    assert all(a["end_ms"] <= b["start_ms"] for a, b in zip(rows, rows[1:], strict=False))


def test_target_writes_video_with_audio_and_timelines(tmp_path):
    import av

    out = tmp_path / "papa.mp4"
    result = run("target", "papa", "--lang", "en", "--voice", "english1", "--face", "lips10", "--out", out)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        kinds = sorted(s.type for s in container.streams)
    assert kinds == ["audio", "video"]
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert [p["phoneme"] for p in timeline["phonemes"]][:2] == ["p", "'A:"]
    assert len(timeline["articulation"]["closures"]) == 2


def test_target_from_recorded_speech_with_transcript(tmp_path):
    from mirrorface.speech.tts import synthesize

    s = synthesize("a map of the bay")
    wav = write_wav(tmp_path / "s.wav", s.audio, s.sample_rate)
    result = run("target", "--audio", wav, "--text", "a map of the bay", "--out", tmp_path / "t.mp4")
    assert result.returncode == 0, result.stderr
    timeline = json.loads((tmp_path / "t.json").read_text())
    assert timeline["method"] == "aligned" and len(timeline["articulation"]["closures"]) >= 2


def test_cues_in_both_rhubarb_formats(tmp_path):
    data = json.loads(run("cues", "papa", "--format", "rhubarb-json").stdout)
    assert [c["value"] for c in data["mouthCues"]].count("A") == 2
    tsv = run("cues", "papa", "--format", "rhubarb-tsv").stdout.splitlines()
    assert tsv[-1].endswith("\tX") and all("\t" in line for line in tsv)


@pytest.mark.parametrize("args, needle", [
    (["phonemes", ""], "empty"),
    (["phonemes", "hello", "--lang", "elvish"], "unknown language"),
    (["target", "hello", "--voice", "robot"], "unknown voice"),
    (["target", "hello", "--anticipation-ms", "20"], "80..300"),
    (["cues", "hello", "--format", "srt"], "rhubarb"),
    (["phonemes"], "text"),
])
def test_bad_text_input(args, needle):
    assert needle in one_error_line(run(*args))


def test_bad_audio_input(tmp_path):
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000))
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage" * 3)
    truncated = tmp_path / "truncated.wav"
    good = write_wav(tmp_path / "good.wav", 0.3 * np.sin(np.arange(16000) / 5.0))
    truncated.write_bytes(good.read_bytes()[:30])
    for path in (silent, corrupt, truncated, tmp_path / "missing.wav"):
        line = one_error_line(run("target", "--audio", path, "--out", tmp_path / "x.mp4"))
        assert str(path.name) in line or "silent" in line or "audio" in line


def test_target_on_a_real_face_picture(tmp_path):
    picture = tmp_path / "robot.png"
    assert run("face", "render", "--out", picture).returncode == 0
    result = run("target", "mama", "--neutral-frame", picture, "--out", tmp_path / "m.mp4")
    assert result.returncode == 0, result.stderr
    assert "not an image" in one_error_line(run("target", "mama", "--neutral-frame", tmp_path / "m.json",
                                                "--out", tmp_path / "x.mp4"))


def test_target_suite_refuses_an_unknown_face(tmp_path):
    assert "unknown face" in one_error_line(run("target-suite", "--face", "nosuch", "--out", tmp_path))
