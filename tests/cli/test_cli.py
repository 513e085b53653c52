"""The real `mirrorface` command in a child process: happy paths and one-line errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mirrorface.constants import ACTION
from mirrorface.data.babbling import Sampler
from mirrorface.data.dataset import Dataset
from mirrorface.face.spec import load_spec, spec_path

from .helpers import interrupted

ENV = {k: v for k, v in os.environ.items() if k != "MIRRORFACE_NATIVE_LOGS"}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mirrorface", *map(str, args)], capture_output=True,
                          text=True, env=ENV, cwd=cwd, timeout=300)


def error_line(result):
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_every_command_has_help():
    for args in (["--help"], ["face", "--help"], ["face", "list", "--help"], ["face", "show", "--help"],
                 ["face", "render", "--help"], ["babble", "--help"], ["dataset", "info", "--help"],
                 ["dataset", "sheet", "--help"], ["dataset", "video", "--help"], ["eval", "face", "--help"]):
        result = run(*args)
        assert result.returncode == 0 and "Usage" in result.stdout, args


def test_face_list_and_show():
    assert {"lips10", "emo26"} <= {ln.split("\t")[0] for ln in run("face", "list").stdout.splitlines()}
    shown = run("face", "show", "emo26").stdout
    assert "neck_yaw" in shown and "corner_overstretch" in shown


def test_face_render_writes_a_png(tmp_path):
    out = tmp_path / "smile.png"
    result = run("face", "render", "--face", "emo26", "--commands", "corner_y=0.95,jaw=0.3", "--out", out)
    assert result.returncode == 0 and out.stat().st_size > 10_000


def test_render_reports_a_pose_pulled_back_by_safety(tmp_path):
    result = run("face", "render", "--commands", "corner_left_x=1,corner_right_x=1,jaw=1",
                 "--out", tmp_path / "f.png")
    assert result.returncode == 0 and "corner_overstretch" in result.stderr


@pytest.mark.parametrize("args, needle", [
    (["face", "show", "nosuchface"], "lips10"),
    (["face", "render", "--commands", "jaw=wide"], "name=number"),
    (["face", "render", "--commands", "nose=1"], "no actuator"),
    (["face", "render", "--commands", "0.1,0.2"], "10 values"),
    (["face", "render", "--commands", "jaw=nan"], "finite"),
    (["face", "render", "--out", "/proc/nope/x.png"], "/proc/nope"),
    (["babble", "--out", "{tmp}/d", "--sampler", "wiggle"], "wiggle"),
    (["babble", "--out", "{tmp}/d", "--frames", "0"], "positive"),
    (["babble", "--out", "{tmp}/d", "--frames", "many"], "--frames"),
    (["babble", "--out", "{tmp}/d", "--face", "lips10", "--sampler", "upper"], "upper"),
    (["dataset", "info", "{tmp}/missing"], "missing"),
    (["dataset", "sheet", "{tmp}/missing"], "missing"),
    (["dataset", "video", "{tmp}/missing"], "missing"),
    (["eval", "face", "--samples", "3"], "samples"),
    (["eval", "audio", "--sentences", "0"], "--sentences"),
    (["train", "audio", "--out", "{tmp}/m", "--steps", "0"], "steps"),
    (["train", "audio", "--out", "{tmp}/m", "--calibrate", "--steps", "10", "--force"], "drop --steps, --force"),
    (["face", "frobnicate"], "frobnicate"),
])
def test_bad_input_gets_one_error_line(args, needle, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert needle in error_line(run(*args))


def test_malformed_spec_names_file_and_field(tmp_path):
    spec = tmp_path / "face.toml"
    spec.write_text('name = "x"\n[[actuators]]\nname = "a"\ngroup = "g"\nindex = 0\nneutral = 2\nspeed = 1\n')
    line = error_line(run("face", "show", spec))
    assert str(spec) in line and "neutral" in line


def test_babble_info_sheet_video(tmp_path):
    data = tmp_path / "ds"
    result = run("babble", "--face", "lips10", "--frames", "40", "--episode-frames", "25",
                 "--out", data, "--quiet")
    assert result.returncode == 0, result.stderr
    info = run("dataset", "info", data).stdout
    assert "40 frames in 2 episodes" in info and "jaw" in info
    assert run("babble", "--face", "lips10", "--frames", "50", "--out", data, "--quiet").returncode == 0
    assert "50 frames in 3 episodes" in run("dataset", "info", data).stdout
    for command, name in (("sheet", "sheet.png"), ("video", "babble.mp4")):
        out = tmp_path / name
        assert run("dataset", command, data, "--out", out).returncode == 0
        assert out.stat().st_size > 5_000


def test_babble_is_quiet_on_stderr(tmp_path):
    result = run("babble", "--frames", "5", "--out", tmp_path / "ds", "--quiet")
    assert result.returncode == 0 and result.stderr == ""


def test_babble_refuses_to_append_another_face(tmp_path):
    data = tmp_path / "ds"
    assert run("babble", "--face", "lips10", "--frames", "10", "--out", data, "--quiet").returncode == 0
    assert "cannot append" in error_line(run("babble", "--face", "emo26", "--frames", "20", "--out", data))


def test_babble_near_rest_is_recorded_in_the_dataset(tmp_path):
    data = tmp_path / "ds"
    result = run("babble", "--face", "emo26", "--sampler", "lower", "--near-rest", "--hold", "1", "--frames", "12",
                 "--out", data, "--quiet")
    assert result.returncode == 0, result.stderr
    info = json.loads((data / "meta" / "info.json").read_text())
    assert info["near_rest"] is True and info["sampler"] == "lower"
    spec = load_spec("emo26")
    lower = Sampler("lower").moving(spec)
    commands = Dataset(data).array(ACTION)[:, lower]
    assert np.isclose(commands, spec.neutral[lower]).any(1).mean() > 0.5  # most frames leave some at rest
    again = run("babble", "--face", "emo26", "--sampler", "lower", "--hold", "1", "--frames", "20", "--out", data)
    assert "recorded with near_rest True" in error_line(again)


def test_render_refuses_a_typed_command_out_of_range(tmp_path):
    """A value the user typed outside the actuator's range is a mistake, not something to clamp."""
    assert "jaw=7 is outside its range" in error_line(run("face", "render", "--commands", "jaw=7",
                                                         "--out", tmp_path / "f.png"))
    assert not (tmp_path / "f.png").exists()


def test_ctrl_c_exits_130_with_one_line(tmp_path):
    def flushed() -> int:  # bytes in the journal: a second of frames (landmarks included) is ~170 kB
        sizes = [p.stat().st_size for p in (tmp_path / "ds").rglob("*.arrows") if p.exists()]
        return sum(sizes) + 10**9 * any((tmp_path / "ds").rglob("*.parquet"))  # (or a whole episode is done)

    code, _, err = interrupted(["babble", "--frames", "100000", "--quiet", "--out", str(tmp_path / "ds")],
                               lambda: flushed() >= 100_000, 120, env=ENV)  # (the first second is in the journal)
    assert code == 130
    assert [ln for ln in err.splitlines() if ln.strip()] == ["interrupted: what was recorded so far is kept"]
    assert len(Dataset(tmp_path / "ds")) > 0  # the frames recorded before Ctrl-C are kept


def test_resuming_with_a_changed_spec_of_the_same_name_is_refused(tmp_path):
    spec = tmp_path / "lips10.toml"
    spec.write_text(spec_path("lips10").read_text())
    data = tmp_path / "ds"
    assert run("babble", "--face", spec, "--frames", "5", "--out", data, "--quiet").returncode == 0
    spec.write_text(spec.read_text().replace("speed = 3.5", "speed = 3.0"))  # the jaw's speed limit
    assert "another version of face 'lips10'" in error_line(run("babble", "--face", spec, "--frames", "10",
                                                               "--out", data))
    assert json.loads((data / "meta/info.json").read_text())["total_frames"] == 5


def test_babble_on_an_unreachable_face_writes_nothing(tmp_path):
    spec = tmp_path / "robot.toml"
    text = spec_path("lips10").read_text()
    spec.write_text(text.replace('type = "sim"', 'type = "feetech"\nport = "/dev/nonexistent-tty"'))
    error_line(run("babble", "--face", spec, "--frames", "5", "--out", tmp_path / "ds"))
    assert not (tmp_path / "ds").exists()


def test_corrupt_parquet_is_refused_by_resume_and_sheet(tmp_path):
    data = tmp_path / "ds"
    assert run("babble", "--frames", "6", "--episode-frames", "3", "--out", data, "--quiet").returncode == 0
    (data / "data/chunk-000/episode_000000.parquet").write_bytes(b"PAR1 not parquet")
    assert "cannot read" in error_line(run("babble", "--frames", "9", "--out", data, "--quiet"))
    assert "cannot read" in error_line(run("dataset", "sheet", data, "--out", tmp_path / "s.png"))
    assert not (tmp_path / "s.png").exists()


def test_dataset_video_of_a_cut_video_leaves_no_partial_file(tmp_path):
    data = tmp_path / "ds"
    assert run("babble", "--frames", "40", "--out", data, "--quiet").returncode == 0
    video = data / "videos/chunk-000/observation.images.camera/episode_000000.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    assert "has images for" in error_line(run("dataset", "video", data, "--out", tmp_path / "out" / "all.mp4"))
    assert list((tmp_path / "out").iterdir()) == []


def test_text_that_is_not_utf8_is_one_line():
    result = subprocess.run([sys.executable.encode(), b"-m", b"mirrorface", b"phonemes", b"caf\xe9"],
                            capture_output=True, env=ENV, timeout=120)
    lines = result.stderr.decode().strip().splitlines()
    assert result.returncode == 1 and lines == ["error: the text is not valid UTF-8; save it in UTF-8 and try again"]
