import numpy as np
import pytest

from mirrorface.constants import ACTION, FACE_DETECTED, LANDMARKS, STATE, TIMESTAMP
from mirrorface.data.babbling import Sampler
from mirrorface.data.dataset import Dataset
from mirrorface.data.recorder import BabblePlan, record_babbling
from mirrorface.data.writer import DatasetWriter
from mirrorface.face.safety import SafetyLayer
from mirrorface.hardware.sim import SimFace
from mirrorface.perception.landmarks import FaceMeshDetector


def record(spec, root, plan, video=True):
    writer = DatasetWriter(root, fps=spec.camera.fps, n_actuators=spec.n, actuator_names=spec.names,
                           image_size=(spec.camera.height, spec.camera.width), video=video,
                           extra_info={"face": spec.name})
    with writer, SimFace(spec, seed=plan.seed) as face, FaceMeshDetector(video=not plan.settle) as detect:
        return record_babbling(face, writer, plan, detect)


def test_records_safe_commands_measured_positions_and_landmarks(lips10, tmp_path):
    assert record(lips10, tmp_path / "ds", BabblePlan(Sampler("speech"), frames=60, episode_frames=30)) == 60
    data = Dataset(tmp_path / "ds")
    assert len(data) == 60 and len(data.episodes) == 2
    action, state = data.array(ACTION), data.array(STATE)
    safety = SafetyLayer(lips10)
    assert all(safety.is_safe(a) for a in action)
    assert np.abs(action - state).max() > 0.01  # the servos lag their commands
    assert data.array(FACE_DETECTED).mean() >= 0.95
    assert data.array(LANDMARKS).shape == (60, 468, 3)
    steps = np.diff(data.array(TIMESTAMP)[:30])
    assert np.allclose(steps, 1 / lips10.camera.fps, atol=1e-6)


def test_resume_continues_to_the_requested_total(lips10, tmp_path):
    plan = BabblePlan(Sampler("uniform"), frames=20, episode_frames=20)
    assert record(lips10, tmp_path / "ds", plan) == 20
    assert record(lips10, tmp_path / "ds", plan) == 0  # already complete
    more = BabblePlan(Sampler("uniform"), frames=45, episode_frames=20)
    assert record(lips10, tmp_path / "ds", more) == 25
    data = Dataset(tmp_path / "ds")
    assert [e["length"] for e in data.episodes] == [20, 20, 5]


def test_episodes_do_not_depend_on_interruptions(lips10, tmp_path):
    once = BabblePlan(Sampler("speech"), frames=40, episode_frames=20, seed=3)
    record(lips10, tmp_path / "a", once)
    record(lips10, tmp_path / "b", BabblePlan(Sampler("speech"), frames=20, episode_frames=20, seed=3))
    record(lips10, tmp_path / "b", once)
    a, b = Dataset(tmp_path / "a").array(ACTION), Dataset(tmp_path / "b").array(ACTION)
    assert np.allclose(a[20:], b[20:])  # episode 1 babbles the same either way


def test_settle_records_still_frames_at_the_command(emo26, tmp_path):
    plan = BabblePlan(Sampler("lower"), frames=8, episode_frames=8, settle=True)
    record(emo26, tmp_path / "ds", plan, video=False)
    data = Dataset(tmp_path / "ds")
    assert np.abs(data.array(ACTION) - data.array(STATE)).max() < 0.01


def test_a_failing_face_stops_the_recording_and_keeps_what_was_recorded(lips10, tmp_path):
    class Broken(SimFace):
        frames = 0

        def read_frame(self):
            self.frames += 1
            if self.frames > 12:
                raise RuntimeError("camera unplugged")
            return super().read_frame()

    writer = DatasetWriter(tmp_path / "ds", fps=30, n_actuators=lips10.n, actuator_names=lips10.names,
                           image_size=(256, 256), extra_info={"face": "lips10"})
    with pytest.raises(RuntimeError, match="unplugged"), writer, Broken(lips10) as face, \
            FaceMeshDetector() as detect:
        record_babbling(face, writer, BabblePlan(Sampler("speech"), frames=100), detect)
    assert len(Dataset(tmp_path / "ds")) == 12
