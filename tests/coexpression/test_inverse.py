"""Training, loading and evaluating the inverse model on a constructed half-face dataset."""

import numpy as np
import pytest
import torch

from mirrorface.coexpression.inverse import (
    METHODS,
    FastInverse,
    commands_for,
    compare,
    cross_product,
    evaluate_inverse,
    fit_linear,
    load_inverse,
    nearest_neighbour,
    pose_density,
    robot_range_of,
    train_inverse,
)
from mirrorface.coexpression.selfmodel import CommandSet, SelfModelData, StillFrames
from mirrorface.errors import MirrorfaceError
from mirrorface.perception.subset import N_UPPER
from mirrorface.training.loop import TrainConfig

REST = 0.5 + np.zeros((113, 2), np.float32)


def half_face_data(emo26, n=120, seed=0) -> SelfModelData:
    """Each half's commands move its own landmarks nonlinearly, by thousandths, plus camera-like noise."""
    outputs = CommandSet.of(emo26)
    rng = np.random.default_rng(seed)
    upper = np.array(outputs.upper)
    own_rows = np.where(upper[:, None], np.arange(226) < 2 * N_UPPER, np.arange(226) >= 2 * N_UPPER)
    fields = np.random.default_rng(99).normal(0, 0.01, (2, 11, 226)) * own_rows
    calm = outputs.from_face(emo26.neutral)

    def frames(moving):
        commands = np.where(moving, rng.random((n, 11)), calm).astype(np.float32)
        moved = (commands - calm) @ fields[0] + np.sin(3 * (commands - calm)) @ fields[1]
        noise = rng.normal(0, 0.0003, (n, 226))
        return StillFrames((REST.ravel() + moved + noise).reshape(n, 113, 2).astype(np.float32), commands)

    return SelfModelData(frames(upper), frames(~upper), REST, outputs)


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_it_learns_beats_the_baselines_and_round_trips_a_checkpoint(emo26, tmp_path, one_thread):
    train, validation = half_face_data(emo26).split()
    model, result = train_inverse(train, tmp_path / "inverse", TrainConfig(steps=400, batch_size=128, lr=3e-3))
    assert result["step"] == 400 and np.mean(result["losses"][-20:]) < np.mean(result["losses"][:20]) / 3
    errors = evaluate_inverse(model, train, cross_product(validation), CommandSet.of(emo26).from_face(emo26.neutral))
    assert list(errors) == list(METHODS)
    means = {m: e.mean() for m, e in errors.items()}
    assert means["inverse model"] < means["nearest neighbour"] < means["random face"]
    assert means["inverse model"] < means["neutral commands"]
    assert means["10 nearest neighbours"] < means["nearest neighbour"]  # averaging smooths the camera noise
    stats = compare(errors)
    assert stats["t_test_vs_inverse_model"]["random commands"] < 1e-6
    loaded = load_inverse(tmp_path / "inverse")
    probe = validation.upper.landmarks[:5]
    np.testing.assert_allclose(commands_for(loaded, probe), commands_for(model, probe), atol=1e-6)
    np.testing.assert_allclose(FastInverse(loaded)(probe), commands_for(loaded, probe), atol=1e-5)
    np.testing.assert_allclose(FastInverse(loaded)(probe[0]), commands_for(loaded, probe[0]), atol=1e-5)
    span = robot_range_of(loaded)
    np.testing.assert_allclose(span.rest, REST)
    assert np.all(span.low <= span.rest) and np.all(span.high > span.rest)


def test_a_linear_map_recovers_linear_faces_and_density_splits_poses(emo26):
    train, validation = half_face_data(emo26, n=200).split()
    calm = CommandSet.of(emo26).from_face(emo26.neutral)
    test = cross_product(validation)
    linear = fit_linear(train, np.random.default_rng(0))(test.landmarks)
    assert np.abs(linear - test.commands).mean() < np.abs(calm - test.commands).mean() / 2
    poses = np.stack([calm, calm, calm])
    poses[1, :3] += 0.3  # three of eleven commands moved
    poses[2, :6] += 0.3  # six
    assert pose_density(poses, calm).tolist() == [False, False, True]


def test_nearest_neighbour_finds_training_joins_exactly(emo26):
    data = half_face_data(emo26, n=30)
    joins = cross_product(data)
    assert len(joins) == 30 * 30
    np.testing.assert_allclose(nearest_neighbour(data, joins.landmarks[::37]), joins.commands[::37])


def test_commands_for_keeps_leading_dimensions():
    from mirrorface.models.inverse import InverseConfig, InverseModel

    model = InverseModel(InverseConfig(hidden=16)).eval()
    assert commands_for(model, np.zeros((113, 2))).shape == (11,)
    assert commands_for(model, np.zeros((2, 3, 113, 2))).shape == (2, 3, 11)


def test_a_missing_checkpoint_is_one_clear_error(tmp_path):
    with pytest.raises(MirrorfaceError, match="mirrorface train inverse"):
        load_inverse(tmp_path / "nothing")


def test_nearest_neighbours_are_the_same_found_in_chunks(emo26, monkeypatch):
    from mirrorface.coexpression import inverse

    data = half_face_data(emo26, n=40)
    queries = cross_product(half_face_data(emo26, n=9, seed=3)).landmarks  # 81 faces
    whole = [nearest_neighbour(data, queries, k) for k in (1, 10)]
    monkeypatch.setattr(inverse, "NN_CHUNK", 7)
    for k, expected in zip((1, 10), whole, strict=True):
        np.testing.assert_allclose(nearest_neighbour(data, queries, k), expected, atol=1e-6)
