"""Self-model data: the command sets, the symmetric half-face sampler, and the half-face joins."""

import json

import numpy as np
import pytest

from mirrorface.coexpression.selfmodel import CommandSet, SelfModelData, StillFrames, SymmetricSampler, record_half
from mirrorface.errors import MirrorfaceError
from mirrorface.face.safety import SafetyLayer
from mirrorface.perception.subset import N_UPPER


def test_emo26_symmetric_set_is_the_papers_eleven(emo26):
    outputs = CommandSet.of(emo26)
    assert outputs.names == ("brow_inner", "brow_outer", "upper_lid", "lower_lid", "upper_lip_side",
                             "upper_lip_center", "lower_lip_side", "lower_lip_center", "corner_x", "corner_y", "jaw")
    assert outputs.upper == (True,) * 4 + (False,) * 7


def test_the_asymmetric_set_is_every_expression_actuator(emo26):
    outputs = CommandSet.of(emo26, symmetric=False)
    assert len(outputs) == 19  # 4 brows, 4 lids, 6 lips, 4 corners, the jaw; no neck, no eyeballs
    assert "neck_yaw" not in outputs.names and "eye_left_yaw" not in outputs.names


@pytest.mark.parametrize("symmetric", [True, False])
def test_outputs_round_trip_through_face_commands(emo26, symmetric):
    outputs = CommandSet.of(emo26, symmetric)
    values = np.random.default_rng(0).random(len(outputs))
    command = outputs.to_face(values, emo26)
    np.testing.assert_allclose(outputs.from_face(command), values, atol=1e-6)
    moved = {i for idx in outputs.actuators for i in idx}
    untouched = [i for i in range(emo26.n) if i not in moved]
    np.testing.assert_array_equal(command[untouched], emo26.neutral[untouched])


@pytest.mark.parametrize("half", ["upper", "lower", "both"])
def test_symmetric_sampler_moves_one_half_symmetrically_and_safely(emo26, half):
    commands = SymmetricSampler(half).commands(emo26, 200, np.random.default_rng(1), 30.0)
    safety = SafetyLayer(emo26)
    assert all(safety.is_safe(c) for c in commands)
    for a in emo26.actuators:  # partners always agree
        if a.partner:
            np.testing.assert_allclose(commands[:, a.index], commands[:, emo26.index_of(a.partner)])
    outputs = CommandSet.of(emo26)
    values = outputs.from_face(commands)
    moving = values.std(0) > 0.05
    expected = {"upper": np.array(outputs.upper), "lower": ~np.array(outputs.upper), "both": np.ones(11, bool)}[half]
    np.testing.assert_array_equal(moving, expected)
    # near rest: in most frames some of the moving commands sit exactly at neutral (sparse), and
    # about half the frames are pulled toward rest, so small moves are common
    at_rest = np.isclose(values[:, expected], outputs.from_face(emo26.neutral)[expected])
    assert at_rest.any(1).mean() > 0.5


def test_a_join_adds_both_halves_displacements(emo26):
    outputs = CommandSet.of(emo26)
    rest = np.zeros((113, 2), np.float32)
    upper_face = np.zeros((1, 113, 2), np.float32)
    upper_face[0, :N_UPPER] = 1.0  # brows up
    upper_face[0, -1] = 0.25  # ... and a little of the chin with them
    lower_face = np.zeros((1, 113, 2), np.float32)
    lower_face[0, N_UPPER:] = 2.0  # a smile
    upper_commands, lower_commands = np.full((1, 11), 0.1, np.float32), np.full((1, 11), 0.9, np.float32)
    upper, lower = StillFrames(upper_face, upper_commands), StillFrames(lower_face, lower_commands)
    data = SelfModelData(upper, lower, rest, outputs)
    landmarks, commands = data.recombine(np.random.default_rng(0), 3)
    assert landmarks.shape == (3, 113, 2) and commands.shape == (3, 11)
    np.testing.assert_allclose(landmarks[:, :N_UPPER], 1.0)
    np.testing.assert_allclose(landmarks[:, N_UPPER:-1], 2.0)
    np.testing.assert_allclose(landmarks[:, -1], 2.25)
    np.testing.assert_allclose(commands, [[0.1] * 4 + [0.9] * 7] * 3)


def test_split_holds_out_the_last_fifth():
    frames = StillFrames(np.arange(10)[:, None, None] * np.ones((10, 113, 2)), np.zeros((10, 11)))
    train, validation = frames.split()
    assert len(train) == 8 and len(validation) == 2
    assert validation.landmarks[0, 0, 0] == 8


def test_a_uniform_recording_is_not_resumed_with_near_rest_babbling(emo26, tmp_path):
    folder = tmp_path / "lower"
    record_half(emo26, folder, "lower", frames=2)
    info_file = folder / "meta" / "info.json"
    info = json.loads(info_file.read_text())
    assert info["babbling"] == "near-rest"
    del info["babbling"]  # as recorded before the babbling changed
    info_file.write_text(json.dumps(info))
    with pytest.raises(MirrorfaceError, match="recorded with babbling .uniform."):
        record_half(emo26, folder, "lower", frames=4)


def test_extra_frames_join_the_training_side_only(emo26, tmp_path, monkeypatch):
    from mirrorface.coexpression import selfmodel

    outputs = CommandSet.of(emo26)
    rest = np.zeros((113, 2), np.float32)

    def frames(first, n):  # frame k's landmarks and commands all hold the value k
        values = np.arange(first, first + n, dtype=np.float32)
        return StillFrames(values[:, None, None] * np.ones((n, 113, 2), np.float32), values[:, None] * np.ones((n, 11)))

    recorded = {tmp_path: SelfModelData(frames(0, 10), frames(100, 10), rest, outputs),
                tmp_path / selfmodel.MORE: SelfModelData(frames(1000, 6), frames(2000, 6), rest, outputs)}
    monkeypatch.setattr(selfmodel, "load_selfmodel", lambda spec, root, rest, symmetric=True: recorded[root])
    train, held_out = selfmodel.training_data(emo26, tmp_path, rest, more=4)
    assert train.upper.commands[:, 0].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 1000, 1001, 1002, 1003]
    assert train.lower.landmarks[:, 0, 0].tolist() == [100, 101, 102, 103, 104, 105, 106, 107, 2000, 2001, 2002, 2003]
    assert held_out.upper.commands[:, 0].tolist() == [8, 9]  # the paper's held-out fifth, whatever is added
    assert held_out.lower.commands[:, 0].tolist() == [108, 109]
    plain, _ = selfmodel.training_data(emo26, tmp_path, rest)
    assert len(plain.upper) == 8 and len(plain.lower) == 8


def test_extra_frames_leave_a_missing_half_one_resting_frame(lips10, tmp_path, monkeypatch):
    from mirrorface.coexpression import selfmodel

    outputs = CommandSet.of(lips10, symmetric=False)
    rest = np.zeros((113, 2), np.float32)
    n = len(outputs.names)
    resting = StillFrames(rest[None], np.zeros((1, n)))  # lips10 has no upper half: its resting face stands in
    lower = StillFrames(np.ones((10, 113, 2), np.float32), np.ones((10, n)))
    recorded = {tmp_path: SelfModelData(resting, lower, rest, outputs),
                tmp_path / selfmodel.MORE: SelfModelData(resting, lower, rest, outputs)}
    monkeypatch.setattr(selfmodel, "load_selfmodel", lambda spec, root, rest, symmetric=True: recorded[root])
    train, _ = selfmodel.training_data(lips10, tmp_path, rest, symmetric=False, more=4)
    assert len(train.upper) == 1 and len(train.lower) == 8 + 4
