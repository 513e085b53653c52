"""`mirrorface coexpress`, `train inverse|predictive` and `eval coexpression` as a user runs them."""

import json
import os
import subprocess
import sys

import pytest

ENV = {k: v for k, v in os.environ.items() if k != "MIRRORFACE_NATIVE_LOGS"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "mirrorface", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=300)


def error_line(code, stderr):
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert code == 1, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize("args, needle", [
    (["coexpress", "--mode", "wiggle"], "wiggle"),
    (["coexpress", "--rate", "0"], "rate"),
    (["coexpress", "--seconds", "0"], "--seconds"),
    (["coexpress", "--out", "{tmp}/x.avi"], ".mp4"),
    (["coexpress", "--face", "nosuchface"], "nosuchface"),
    (["coexpress", "--source", "{tmp}/nosuch.mp4"], "no such video"),
    (["coexpress", "--source", "{tmp}/notavideo.mp4"], "not a readable video"),
    (["coexpress", "--inverse", "{tmp}/nothing", "--seconds", "1"], "mirrorface train inverse"),
    (["coexpress", "--face", "lips10", "--seconds", "1"], "emo26"),
    (["coexpress", "--smoothing", "1"], "MIN_CUTOFF_HZ,BETA"),
    (["coexpress", "--smoothing", "fast,300"], "MIN_CUTOFF_HZ,BETA"),
    (["coexpress", "--smoothing", "0,300"], "cutoffs must be positive"),
    (["train", "inverse", "--out", "{tmp}/m", "--frames", "3"], "--frames"),
    (["train", "inverse", "--out", "{tmp}/m", "--face", "nosuchface"], "nosuchface"),
    (["train", "inverse", "--out", "{tmp}/m", "--face", "lips10", "--data", "{tmp}/d", "--quick"], "--asymmetric"),
    (["train", "inverse", "--out", "{tmp}/existing"], "--force"),
])
def test_bad_input_is_one_error_line(tmp_path, capsys, args, needle):
    """In this process, for speed (one child process below checks the real command's stderr)."""
    from mirrorface.cli.main import main

    (tmp_path / "notavideo.mp4").write_text("not a video")
    (tmp_path / "existing").mkdir()
    (tmp_path / "existing" / "model.safetensors").write_bytes(b"")
    code = main([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert needle in error_line(code, capsys.readouterr().err)


def test_the_real_command_prints_one_error_line(tmp_path):
    result = run("coexpress", "--source", tmp_path / "nosuch.mp4")
    assert "no such video" in error_line(result.returncode, result.stderr)


def test_coexpress_synthetic_writes_the_side_by_side_video(tmp_path):
    out = tmp_path / "coexpress.mp4"
    result = run("coexpress", "--source", "synthetic", "--participants", "1", "--seconds", "6", "--rate", "25",
                 "--out", out)
    assert result.returncode == 0, result.stderr
    assert "150 ticks at 25 Hz" in result.stdout and "missed deadlines" in result.stdout
    from mirrorface.data.video import count_frames, read_frames

    assert count_frames(out) == 150
    assert next(read_frames(out)).shape == (284, 512, 3)


def test_train_inverse_quick_records_trains_and_scores(tmp_path):
    result = run("train", "inverse", "--out", tmp_path / "m", "--data", tmp_path / "d", "--frames", "12",
                 "--more-frames", "6", "--quick")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m" / "model.safetensors").is_file()
    assert (tmp_path / "d" / "upper" / "meta" / "info.json").is_file()
    assert (tmp_path / "d" / "more" / "lower" / "meta" / "info.json").is_file()
    assert "nearest neighbour" in result.stdout
    training = json.loads((tmp_path / "m" / "config.json").read_text())["training"]
    assert training["more_frames"] == 6
    assert training["upper_frames"] == training["lower_frames"] == 10 + 6  # 12 less the 2 held out, + the extra
