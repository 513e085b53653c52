"""Calibration with the builder: by small steps on an emulated Maestro over a pty (through the CLI,
answers on stdin), by hand on a bus that reads its servos, and what a calibration may not do."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorface.cli.main import main
from mirrorface.errors import SpecError
from mirrorface.face.safety import SafetyLayer
from mirrorface.face.spec import spec_path
from mirrorface.hardware.bus import MotorBus
from mirrorface.hardware.calibrate import CalibrationStopped, calibrate_face
from mirrorface.hardware.calibration import (
    ActuatorCalibration,
    Calibration,
    calibration_path,
    load_calibration,
    save_calibration,
)

# Per actuator: go to 5000, record (end at 0); 7000, two steps up, one down, record (end at 1);
# 6000, record (neutral). A Maestro step is 40 quarter-µs.
ANSWERS_PER_ACTUATOR = ["5000", "", "7000", "++", "-", "", "6000", ""]


def write_spec(tmp_path, spec_text: str, port: str):
    text = spec_text.replace('[bus]\ntype = "sim"', f'[bus]\ntype = "maestro"\nport = "{port}"\ntimeout_ms = 200')
    assert 'type = "maestro"' in text
    path = tmp_path / "myface.toml"
    path.write_text(text)
    return path


@pytest.fixture
def lips10_text():
    return spec_path("lips10").read_text()


def test_calibrate_by_steps_on_an_emulated_maestro(lips10, lips10_text, maestro_emulator, tmp_path, monkeypatch,
                                                   capsys):
    with maestro_emulator(lips10) as (protocol, port):
        spec_file = write_spec(tmp_path, lips10_text, port)
        monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(ANSWERS_PER_ACTUATOR * lips10.n) + "\n"))
        assert main(["calibrate", "--face", str(spec_file)]) == 0
        deadline = time.monotonic() + 5  # the emulator's thread may still be reading the last packet
        while protocol.targets[:lips10.n] != [6000] * lips10.n and time.monotonic() < deadline:
            time.sleep(0.01)
        assert protocol.targets[:lips10.n] == [6000] * lips10.n  # each parked at its neutral
    saved = json.loads(calibration_path(spec_file).read_text())
    assert saved["bus"] == "maestro" and saved["face"] == "lips10"
    assert set(saved["actuators"]) == set(lips10.names)
    assert all(c == {"raw_at_0": 5000, "raw_at_1": 7040, "raw_neutral": 6000} for c in saved["actuators"].values())
    out = capsys.readouterr().out
    assert "raw at 0" in out and "5000      7040      6000         normal" in out
    assert f"wrote {calibration_path(spec_file)}" in out


def test_running_out_of_answers_writes_nothing(lips10, lips10_text, maestro_emulator, tmp_path, monkeypatch,
                                               capsys):
    with maestro_emulator(lips10) as (_, port):
        spec_file = write_spec(tmp_path, lips10_text, port)
        monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(ANSWERS_PER_ACTUATOR * 2) + "\n"))
        assert main(["calibrate", "--face", str(spec_file)]) == 1
    assert not calibration_path(spec_file).exists()
    assert "error: calibration stopped: no more answers (end of input); nothing written" in capsys.readouterr().err


def test_a_simulated_face_has_nothing_to_calibrate(tmp_path, lips10_text, capsys):
    spec_file = tmp_path / "sim.toml"
    spec_file.write_text(lips10_text)
    assert main(["calibrate", "--face", str(spec_file)]) == 1
    assert "runs on the simulator" in capsys.readouterr().err


class HandMovedBus(MotorBus):
    """A bus whose servos can go limp and be read: the builder's hands are the test's `moves`."""

    type = "hand"

    def __init__(self, spec, calibration=None):
        super().__init__(spec, calibration)
        self.present = np.full(spec.n, 2048, np.int64)
        self.torque, self.writes = True, 0

    def _open(self): ...
    def _close(self): ...

    def _write_raw(self, raw):
        self.writes += 1

    def _read_raw(self):
        return self.present.copy()

    def _set_torque(self, enabled):
        self.torque = enabled


def test_calibrate_by_hand_reads_where_the_builder_left_each_actuator(small_face):
    spec = small_face(2)
    places = iter([(0, 1000), (0, 3000), (0, 2000), (1, 3500), (1, 3500), (1, 3500), (1, 2500), (1, 500), (1, 1000)])

    def ask(prompt):
        k, value = next(places)
        bus.present[k] = value  # the builder's hand moves the servo
        return ""

    told = []
    bus = HandMovedBus(spec)
    calibration = calibrate_face(bus, ask, told.append)
    assert not bus.torque and bus.writes == 0
    assert calibration.actuators["a0"] == ActuatorCalibration(raw_at_0=1000, raw_at_1=3000, raw_neutral=2000)
    # a1's ends came out equal once: it was measured again, and is mounted reversed
    assert calibration.actuators["a1"] == ActuatorCalibration(raw_at_0=2500, raw_at_1=500, raw_neutral=1000)
    assert any("raw_at_0 and raw_at_1 must differ; measure it again" in line for line in told)


def test_q_stops(small_face):
    with pytest.raises(CalibrationStopped, match="nothing written"):
        calibrate_face(HandMovedBus(small_face(1)), lambda prompt: "q", lambda line: None)


def test_a_real_bus_without_calibration_names_the_command(lips10, tmp_path):
    spec = lips10.model_copy(update={"bus": lips10.bus.model_copy(update={"type": "maestro"})})
    with pytest.raises(SpecError, match=r"no calibration at .*myface\.calibration\.json; run "
                                        r"`mirrorface calibrate --face .*myface\.toml`"):
        load_calibration(calibration_path(tmp_path / "myface.toml"), spec)


def test_a_calibration_cannot_carry_a_range(lips10, tmp_path):
    path = tmp_path / "f.calibration.json"
    body = {"raw_at_0": 1000, "raw_at_1": 2000, "raw_neutral": 1500, "range": [0, 1]}
    path.write_text(json.dumps({"face": "lips10", "bus": "sim", "actuators": {n: body for n in lips10.names}}))
    with pytest.raises(SpecError, match="not a valid calibration"):
        load_calibration(path, lips10)


@settings(max_examples=60, deadline=None)
@given(ends=st.lists(st.tuples(st.integers(500, 2500), st.integers(500, 2500)).filter(lambda e: e[0] != e[1]),
                     min_size=10, max_size=10),
       command=st.lists(st.floats(-5, 5, allow_nan=False), min_size=10, max_size=10))
def test_a_calibration_never_widens_the_normalized_range(lips10, ends, command):
    """Whatever was measured, the raw sent stays inside the raw image of the spec's range."""
    actuators = {n: ActuatorCalibration(raw_at_0=a, raw_at_1=b, raw_neutral=min(a, b))
                 for n, (a, b) in zip(lips10.names, ends, strict=True)}
    bus = HandMovedBus(lips10, Calibration(face="lips10", bus="hand", actuators=actuators))
    sent, _ = SafetyLayer(lips10)(np.array(command), 1.0)
    raw = bus.to_raw(sent)
    at_lower, at_upper = bus.to_raw(lips10.lower), bus.to_raw(lips10.upper)
    assert np.all(raw >= np.minimum(at_lower, at_upper)) and np.all(raw <= np.maximum(at_lower, at_upper))


def test_save_is_atomic_and_loads_back(lips10, tmp_path):
    actuators = {n: ActuatorCalibration(raw_at_0=1000, raw_at_1=2000, raw_neutral=1500) for n in lips10.names}
    path = tmp_path / "f.calibration.json"
    save_calibration(Calibration(face="lips10", bus="sim", actuators=actuators), path)
    assert load_calibration(path, lips10).actuators == actuators and list(tmp_path.iterdir()) == [path]
