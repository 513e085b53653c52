"""End to end on emulated robots: `mirrorface emulate` in its own process, the official SDKs in this
one, and babble, say and coexpress running on the emulated face as on a real one."""

import itertools
import json
import re
import signal
import threading
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from mirrorface.cli.main import main
from mirrorface.data.dataset import Dataset
from mirrorface.face.safety import SafetyLayer
from mirrorface.face.spec import load_spec, spec_path
from mirrorface.hardware.bus import make_bus
from mirrorface.hardware.servo import face_calibration

from .helpers import interrupted

BUSES = ["dynamixel", "feetech", "maestro"]
TICK = 1 / 2000  # an emulated servo's [0, 1] spans 2458 raw steps (a Maestro's 4800): goals are rounded to one


def received(emulator, spec) -> np.ndarray:
    """The goals the emulator received, normalized with the face's calibration, one row a write."""
    bus = make_bus(spec, face_calibration(spec))
    rows = [json.loads(line)["goals"] for line in emulator.log.read_text().splitlines()]
    return np.array([bus.from_raw([row[str(i)] for i in bus.ids]) for row in rows])


def without_group(face: str, group: str, folder) -> str:
    """A built-in face's face.toml without the actuators of `group` and the rules that weigh them,
    indices renumbered: the same face (its name kept, so its trained models still fit) with that
    group on another bus, as emo26's 3 neck motors must be for the rest to fit one Mini Maestro 24."""
    blocks = re.split(r"\n(?=\[)", spec_path(face).read_text(encoding="utf-8"))
    gone = [b for b in blocks if b.startswith("[[actuators]]") and f'group = "{group}"' in b]
    names = [re.search(r'^name = "(\w+)"', b, re.M).group(1) for b in gone]
    kept = [b for b in blocks if b not in gone and not any(re.search(rf"\b{n}\b", b) for n in names)]
    count = itertools.count()
    text = re.sub(r"^index = \d+$", lambda _: f"index = {next(count)}", "\n".join(kept), flags=re.M)
    path = folder / f"{face}-no-{group}.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def is_in_order_within(sent: np.ndarray, got: np.ndarray, atol: float) -> bool:
    """Every row of `sent` appears in `got`, in order (the rest of `got`: easing to rest)."""
    at = 0
    for row in sent:
        while at < len(got) and not np.allclose(got[at], row, atol=atol):
            at += 1
        if at == len(got):
            return False
        at += 1
    return True


@pytest.mark.parametrize("bus", BUSES)
def test_babble_records_what_the_servos_received(emulator, bus, tmp_path, capsys):
    robot = emulator("lips10", bus)
    out = tmp_path / "babble"
    assert main(["babble", "--face", str(robot.spec_file), "--frames", "8", "--episode-frames", "4",
                 "--out", str(out), "--quiet"]) == 0
    spec = load_spec(robot.spec_file)
    actions = Dataset(out).array("action")
    assert actions.shape == (8, spec.n)
    assert is_in_order_within(actions, received(robot, spec), atol=TICK)


@pytest.mark.parametrize("bus", BUSES)
def test_say_sends_its_trajectory_to_the_servos(emulator, bus, quick_models, tmp_path):
    robot = emulator("lips10", bus)
    path = tmp_path / "say.parquet"
    assert main(["say", "papa", "--face", str(robot.spec_file), "--models", str(quick_models),
                 "--trajectory", str(path), "--no-video"]) == 0
    spec = load_spec(robot.spec_file)
    sent = np.column_stack([pq.read_table(path).column(n).to_numpy() for n in spec.names])
    assert len(sent) > 10
    assert is_in_order_within(sent, received(robot, spec), atol=TICK)


@pytest.mark.parametrize("bus", BUSES)
def test_coexpress_runs_on_the_emulated_robot(emulator, bus, tmp_path, capsys):
    face = without_group("emo26", "neck", tmp_path) if bus == "maestro" else "emo26"  # one Mini Maestro 24
    robot = emulator(face, bus)
    assert main(["coexpress", "--face", str(robot.spec_file), "--seconds", "1", "--participants", "1"]) == 0
    assert "50 ticks at 50 Hz" in capsys.readouterr().out
    spec = load_spec(robot.spec_file)
    got = received(robot, spec)
    assert len(got) >= 25
    assert all(SafetyLayer(spec).is_safe(np.clip(row, spec.lower, spec.upper)) and
               np.allclose(row, np.clip(row, spec.lower, spec.upper), atol=TICK) for row in got)


def test_a_pulled_cable_mid_babble_ends_safe_and_the_dataset_resumes(emulator, tmp_path, capsys):
    robot = emulator("lips10", "feetech")
    out = tmp_path / "babble"
    result = {}
    run = threading.Thread(target=lambda: result.update(code=main(
        ["babble", "--face", str(robot.spec_file), "--frames", "600", "--out", str(out), "--quiet"])))
    run.start()
    while not robot.log.exists() or len(robot.log.read_text().splitlines()) < 45:  # easing to rest, then frames
        time.sleep(0.05)
    robot.proc.kill()  # the cable pulled
    run.join(timeout=30)
    assert result["code"] == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "port is gone" in err[0], err
    kept = len(Dataset(out))
    assert 0 < kept < 600
    again = emulator("lips10", "feetech")  # plugged back in: a new port, the same face
    assert main(["babble", "--face", str(again.spec_file), "--frames", str(kept + 3), "--out", str(out),
                 "--quiet"]) == 0
    assert len(Dataset(out)) == kept + 3


def test_emulate_exits_130_on_ctrl_c_and_refuses_bad_faults(emulator, tmp_path, capsys):
    robot = emulator("lips10", "dynamixel")
    assert robot.spec_file.with_name(robot.spec_file.stem + ".calibration.json").is_file()
    robot.proc.send_signal(signal.SIGINT)
    assert robot.proc.wait(timeout=10) == 130
    assert main(["emulate", "dynamixel", "--fault", "gremlins"]) == 1
    assert main(["emulate", "canbus"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("error: --fault must be one of") and err[1].startswith("error: no emulator for bus")


def test_emulate_link_never_replaces_a_file(tmp_path, capsys):
    """--link replaces a link an earlier run left, never a file of the user's."""
    precious = tmp_path / "myface.toml"
    precious.write_text("keep me")
    assert main(["emulate", "feetech", "--face", "lips10", "--link", str(precious)]) == 1
    assert "not a link" in capsys.readouterr().err and precious.read_text() == "keep me"


def test_say_realtime_speaks_on_the_emulated_servos(emulator, quick_models, tmp_path):
    robot = emulator("lips10", "dynamixel")
    sent = tmp_path / "sent.csv"
    assert main(["say", "papa", "--face", str(robot.spec_file), "--models", str(quick_models), "--realtime",
                 "--audio-out", str(tmp_path / "say.wav"), "--trajectory", str(sent), "--deadline-ms", "1000"]) == 0
    spec = load_spec(robot.spec_file)
    rows = np.loadtxt(sent, delimiter=",", skiprows=1)[:, 1:]
    assert len(rows) > 10
    got = received(robot, spec)
    assert is_in_order_within(rows, got, atol=TICK)  # every command sent on time reached the servos
    assert np.allclose(got[-1], spec.neutral, atol=TICK)  # and the face ended at rest


def test_ctrl_c_during_coexpress_ends_at_neutral_with_130(emulator):
    robot = emulator("emo26", "dynamixel")
    code, _, err = interrupted(["coexpress", "--face", str(robot.spec_file), "--participants", "20"],
                               lambda: robot.log.is_file() and len(robot.log.read_text().splitlines()) > 50,
                               120)  # (two seconds of ticks)
    assert code == 130, err
    assert [ln for ln in err.splitlines() if ln.strip()][-1].startswith("interrupted"), err
    spec = load_spec(robot.spec_file)
    assert np.allclose(received(robot, spec)[-1], spec.neutral, atol=TICK)
