"""Training, loading, prediction and evaluation of the predictive model; the shipped checkpoint."""

from dataclasses import replace

import numpy as np
import pytest

from mirrorface.coexpression.predictive import (
    DEFAULT_CHECKPOINT,
    EVALUATION,
    QUICK,
    TRAIN_SEED,
    FastPredictive,
    _folds,
    compare,
    cross_validate,
    evaluate_predictive,
    load_predictive,
    predict,
    predict_targets,
    train_predictive,
)
from mirrorface.coexpression.synthetic import generate
from mirrorface.errors import MirrorfaceError
from mirrorface.models.predictive import PredictiveConfig


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("predictive")
    return out, train_predictive(out, quick=True)


@pytest.fixture(scope="module")
def held_out():
    """The first 8 held-out people (the evaluation population's seed), one video per expression."""
    return generate(8, 7, seed=EVALUATION.seed)


def test_quick_training_writes_a_checkpoint_that_loads(quick):
    out, result = quick
    assert (out / "model.safetensors").is_file() and (out / "config.json").is_file()
    assert result["step"] == QUICK.steps and result["videos"] == 56 and result["participants"] == 8
    assert np.mean(result["losses"][-10:]) < np.mean(result["losses"][:10])
    model = load_predictive(out)
    assert model.config.hidden == 32 and not model.training


def test_training_resumes_where_it_stopped(quick, tmp_path):
    out, _ = quick
    first = train_predictive(tmp_path, quick=True, settings=replace(QUICK, steps=20, save_every=20))
    more = train_predictive(tmp_path, quick=True, resume=True, settings=replace(QUICK, steps=30, save_every=30))
    assert (first["step"], more["step"], len(more["losses"])) == (20, 30, 10)


def test_training_never_sees_the_evaluation_people():
    assert EVALUATION.seed != TRAIN_SEED
    train_faces = np.stack([v.landmarks[:5].mean(0) for v in generate(3, 1, seed=TRAIN_SEED)])
    test_faces = np.stack([v.landmarks[:5].mean(0) for v in generate(3, 1, seed=EVALUATION.seed)])
    assert np.abs(train_faces[:, None] - test_faces[None]).mean((2, 3)).min() > 1e-3


def test_predict_takes_one_or_many(quick, held_out):
    model = load_predictive(quick[0])
    frames, rest = held_out[0].landmarks[:4], held_out[0].landmarks[:5].mean(0)
    one = predict(model, frames, rest)
    many = predict(model, np.stack([frames, frames]), np.stack([rest, rest]))
    assert one.shape == (113, 2) and many.shape == (2, 113, 2)
    assert np.allclose(many[0], one, atol=1e-6)
    with pytest.raises(MirrorfaceError):
        predict(model, frames[:3], rest)
    with pytest.raises(MirrorfaceError):
        predict(model, np.stack([frames, frames]), rest)  # a batch of frames needs a batch of resting faces


@pytest.fixture(scope="module")
def shipped_inputs(held_out):
    """The shipped model and what it sees of the held-out videos at their peak activations."""
    model = load_predictive(DEFAULT_CHECKPOINT)
    return model, predict_targets(model, held_out)


def test_the_shipped_checkpoint_loads_as_the_documented_model(shipped_inputs):
    model, _ = shipped_inputs
    assert model.config == PredictiveConfig() and not model.training
    fields = model.fields.numpy()
    np.testing.assert_allclose(fields @ fields.T, np.eye(model.config.fields), atol=1e-5)


def test_the_numpy_model_gives_the_module_s_predictions(shipped_inputs):
    model, seen = shipped_inputs
    fast = FastPredictive(model)
    frames, rest = seen.inputs[:6], seen.rest[:6]
    np.testing.assert_allclose(fast(frames, rest), predict(model, frames, rest), atol=2e-6)
    np.testing.assert_allclose(fast(frames[2], rest[2]), predict(model, frames[2], rest[2]), atol=2e-6)
    with pytest.raises(MirrorfaceError):
        fast(frames[:, :3], rest)


def test_the_shipped_model_s_apex_follows_the_person_s_size(shipped_inputs):
    """The same movements made half as large give predictions half as far from rest; and on the held-out
    people, half-intensity expressions are predicted neither larger than they are (the previous model
    overshot them) nor much larger, relative to their true size, than full ones; both go past the face at the
    peak activation (mimicry)."""
    model, seen = shipped_inputs
    half = seen.rest[:, None] + 0.5 * (seen.inputs - seen.rest[:, None])
    np.testing.assert_allclose(predict(model, half, seen.rest) - seen.rest, 0.5 * (seen.predicted - seen.rest),
                               atol=1e-6)
    def size(faces):
        return np.linalg.norm((faces - seen.rest).reshape(len(faces), -1), axis=1)

    intensity = np.array([v.intensity for v in seen.videos])
    half, full = intensity < 0.6, intensity > 0.8
    model, mimicry = size(seen.predicted) / size(seen.target), size(seen.mimicry) / size(seen.target)
    assert np.median(model[half]) < 1.0 and np.median(model[full]) < 1.0
    assert abs(np.median(model[half]) - np.median(model[full])) < 0.2
    assert np.median(model[half]) > np.median(mimicry[half]) and np.median(model[full]) > np.median(mimicry[full])


def test_a_missing_checkpoint_says_how_to_make_one(tmp_path):
    with pytest.raises(MirrorfaceError, match="mirrorface train predictive"):
        load_predictive(tmp_path / "nothing")


def test_evaluation_reports_both_baselines(quick, held_out):
    result = evaluate_predictive(load_predictive(quick[0]), held_out)
    assert (result["videos"], result["participants"]) == (56, 8)
    for name in ("model", "mimicry", "random_search"):
        errors = result["mae"][name]
        assert len(errors["values"]) == 56
        assert errors["ci95"][0] <= errors["mean"] <= errors["ci95"][1]
    assert result["mae"]["random_search"]["mean"] > 2 * result["mae"]["mimicry"]["mean"]  # other people's faces
    assert 0 <= result["t_test"]["mimicry"]["p"] <= 1
    assert set(result["by_expression"]) == {"happy", "sad", "surprise", "anger", "fear", "disgust", "smile"}
    assert result["activation_to_target_s"]["mean"] > 0


def test_random_search_draws_from_a_given_pool(quick, held_out):
    predictions = predict_targets(load_predictive(quick[0]), held_out[:10])
    pool = np.full((3, 113, 2), 5.0, np.float32)  # faces far from any real one
    result = compare(predictions, pool=pool)
    assert result["mae"]["random_search"]["mean"] > 4.0


def test_folds_split_by_video_or_by_participant(held_out):
    for by in ("video", "participant"):
        folds = _folds(held_out, by, 4, seed=0)
        assert sorted(np.concatenate(folds).tolist()) == list(range(len(held_out)))
    people = [{held_out[i].participant for i in fold} for fold in _folds(held_out, "participant", 4, seed=0)]
    assert all(not a & b for i, a in enumerate(people) for b in people[i + 1:])
    with pytest.raises(MirrorfaceError):
        _folds(held_out, "expression", 4, seed=0)


def test_cross_validation_trains_one_model_per_fold(held_out):
    result = cross_validate(held_out[:28], by="participant", folds=2, quick=True)
    assert result["by"] == "participant" and len(result["folds"]) == 2
    assert set(result["mae"]) == {"model", "mimicry", "random_search"}


def test_the_shipped_model_beats_both_baselines_on_held_out_people(held_out):
    """The done-when figure on a slice of the held-out population (the report uses all 990 videos)."""
    model = load_predictive(DEFAULT_CHECKPOINT)
    assert sum(f.stat().st_size for f in DEFAULT_CHECKPOINT.iterdir()) < 2 * 2**20
    result = evaluate_predictive(model, held_out)
    mae = {name: errors["mean"] for name, errors in result["mae"].items()}
    assert mae["model"] < 0.85 * mae["mimicry"] < mae["random_search"]
    assert result["t_test"]["mimicry"]["paired_p"] < 0.05 and result["t_test"]["random_search"]["p"] < 0.05


def test_training_is_reproducible(quick, tmp_path):
    again = train_predictive(tmp_path, quick=True)
    assert again["losses"] == quick[1]["losses"]
