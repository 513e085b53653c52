"""The five lip-sync baselines on constructed inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from mirrorface.data.babbling import Sampler, random_safe_poses
from mirrorface.errors import MirrorfaceError
from mirrorface.face.safety import SafetyLayer
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.lipsync.baselines import (
    OPEN_VOWEL_JAW,
    audio_amplitude,
    nearest_landmarks,
    random_selection,
    shifted,
)
from mirrorface.perception.landmarks import FaceMeshDetector, lip_indices

RATE = 16000


# -- shift ------------------------------------------------------------------------------------------

def test_shift_by_whole_frames_is_an_exact_delay():
    commands = np.random.default_rng(0).uniform(size=(40, 10))
    out = shifted(commands, 30, 0.5)  # 15 frames
    assert np.array_equal(out[15:], commands[:-15])
    assert np.array_equal(out[:15], np.repeat(commands[:1], 15, axis=0))
    early = shifted(commands, 30, -0.1)  # 3 frames earlier; the last row repeats
    assert np.array_equal(early[:-3], commands[3:]) and np.array_equal(early[-3:], np.repeat(commands[-1:], 3, 0))
    assert np.array_equal(shifted(commands, 30, 0.0), commands)


def test_a_sub_frame_shift_delays_a_ramp_exactly():
    ramp = np.arange(30, dtype=float)[:, None] * np.array([[0.01, 0.02]])  # value = k * slope
    out = shifted(ramp, 30, 0.033)  # 0.99 of a frame
    assert np.allclose(out[1:], (np.arange(1, 30)[:, None] - 0.99) * np.array([[0.01, 0.02]]))
    assert np.allclose(out[0], ramp[0])


def test_shifted_commands_drift_further_from_the_original_as_the_shift_grows(lips10):
    commands = Sampler("speech").commands(lips10, 150, np.random.default_rng(1), 30)
    errors = [np.mean((shifted(commands, 30, s) - commands) ** 2) for s in (0.0, 0.033, 0.1, 0.5)]
    assert errors[0] == 0 and np.all(np.diff(errors) > 0)


# -- amplitude -> jaw -------------------------------------------------------------------------------

def tone(seconds, amp):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_amplitude_moves_only_the_jaw_calibrated_to_an_open_vowel(lips10):
    audio = np.concatenate([np.zeros(RATE // 2, np.float32), tone(1.0, 0.6), tone(0.5, 0.3),
                            np.zeros(RATE // 2, np.float32)])
    commands = audio_amplitude(audio, RATE, 30, 90, lips10)  # 90 frames: the last 15 lie past the audio
    jaw = lips10.index_of("jaw")
    others = np.delete(np.arange(lips10.n), jaw)
    assert commands.shape == (90, lips10.n)
    assert np.array_equal(commands[:, others], np.tile(lips10.neutral[others], (90, 1)))
    assert np.allclose(commands[:14, jaw], lips10.neutral[jaw])  # silence: at rest
    # The loud tone sets the open-vowel jaw, half its amplitude half the way (within the ripple of a
    # one-frame RMS window over a 220 Hz tone).
    assert np.allclose(commands[17:44, jaw], OPEN_VOWEL_JAW, atol=0.015)
    half = lips10.neutral[jaw] + 0.5 * (OPEN_VOWEL_JAW - lips10.neutral[jaw])
    assert np.allclose(commands[47:59, jaw], half, atol=0.015)
    assert np.allclose(commands[62:, jaw], lips10.neutral[jaw])
    safety = SafetyLayer(lips10)
    assert all(safety.is_safe(c) for c in commands)


def test_amplitude_needs_one_jaw(lips10):
    data = lips10.model_dump()
    for actuator in data["actuators"]:
        actuator["group"] = "lower_lip" if actuator["group"] == "jaw" else actuator["group"]
    no_jaw = FaceSpec.model_validate(data)
    with pytest.raises(MirrorfaceError, match="jaw"):
        audio_amplitude(tone(0.5, 0.5), RATE, 30, 15, no_jaw)


# -- nearest landmarks ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def babble():
    rng = np.random.default_rng(3)
    landmarks = rng.uniform(0.2, 0.8, size=(50, 468, 3)).astype(np.float32)
    commands = rng.uniform(size=(50, 10))
    return landmarks, commands


def test_nearest_landmarks_returns_the_nearest_frames_command(babble):
    landmarks, commands = babble
    rng = np.random.default_rng(4)
    picks = np.array([7, 7, 21, 3, 49])
    target = landmarks[picks] + rng.normal(0, 0.002, size=(5, 468, 3)).astype(np.float32)
    others = np.setdiff1d(np.arange(468), lip_indices())
    target[:, others] = rng.uniform(0, 1, size=(5, len(others), 3))  # everything but the lips is ignored
    target[:, :, 2] = 5.0  # and so is depth
    assert np.array_equal(nearest_landmarks(target, landmarks, commands), commands[picks])


def test_nearest_landmarks_finds_the_pose_in_real_renders(lips10):
    # Babbling frames and target frames rendered by the simulated face (fresh camera noise each
    # time) and seen by MediaPipe: each target is matched to the pose that produced it.
    face = Painter(lips10, seed=0)
    poses = random_safe_poses(lips10, 24, np.random.default_rng(0), list(range(lips10.n)))
    order = [5, 5, 17, 2, 9, 23]
    with FaceMeshDetector(video=False) as detect:
        babble_landmarks = np.array([detect(face.render_pose(p)) for p in poses])
        target_landmarks = np.array([detect(face.render_pose(poses[k])) for k in order])
    assert np.array_equal(nearest_landmarks(target_landmarks, babble_landmarks, poses), poses[order])


def test_frames_without_a_face_hold_the_previous_command(babble):
    landmarks, commands = babble
    target = landmarks[[0, 5, 5, 9, 9]].copy()
    target[[0, 2, 3]] = np.nan  # no face in frames 0, 2 and 3
    out = nearest_landmarks(target, landmarks, commands)
    assert np.array_equal(out, commands[[5, 5, 5, 5, 9]])  # frame 0 takes the first found face's


def test_babbling_frames_without_a_face_are_never_chosen(babble):
    landmarks, commands = babble
    blind = landmarks.copy()
    blind[12] = np.nan
    out = nearest_landmarks(landmarks[[12]], blind, commands)
    assert not np.array_equal(out[0], commands[12])
    with pytest.raises(MirrorfaceError):
        nearest_landmarks(np.full((3, 468, 3), np.nan), landmarks, commands)


# -- random selection -------------------------------------------------------------------------------

def test_random_selection_draws_babbling_rows_reproducibly(babble):
    _, commands = babble
    out = random_selection(commands, 200, np.random.default_rng(0))
    rows = {tuple(r) for r in commands}
    assert out.shape == (200, 10) and all(tuple(r) in rows for r in out)
    assert len({tuple(r) for r in out}) > 40  # most of the set, not one frame repeated
    assert np.array_equal(out, random_selection(commands, 200, np.random.default_rng(0)))
