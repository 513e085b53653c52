"""The synthetic humans: seeded, shaped like the paper's data, with precursors before the onset."""

import numpy as np
import pytest

from mirrorface.coexpression.synthetic import (
    EXPRESSIONS,
    ONSET_MEAN_S,
    ONSET_SD_S,
    POSED_INTENSITY,
    ExpressionVideo,
    calm_clips,
    film,
    generate,
    make_person,
)


@pytest.fixture(scope="module")
def population() -> list[ExpressionVideo]:
    return generate(40, 7, seed=11)


def _distance(video: ExpressionVideo, frame: int) -> float:
    rest = video.landmarks[:5].mean(0)
    return float(np.linalg.norm(video.landmarks[frame] - rest))


def test_videos_have_the_documented_shape(population):
    video = population[0]
    assert video.landmarks.dtype == np.float32 and video.landmarks.shape[1:] == (113, 2)
    assert np.isfinite(video.landmarks).all()
    assert (video.participant, video.video_id, video.fps) == ("p000", "p000-v00", 30.0)
    for v in population:
        assert 5 < v.onset_frame < v.apex_frame < len(v.landmarks) - 4
        assert v.expression in EXPRESSIONS and 0.0 < v.intensity <= 1.0


def test_every_person_makes_every_expression(population):
    for person in {v.participant for v in population}:
        assert sorted(v.expression for v in population if v.participant == person) == sorted(EXPRESSIONS)


def test_it_is_seeded_and_a_person_does_not_depend_on_the_population_size():
    small, large = generate(2, 2, seed=3), generate(3, 2, seed=3)
    for a, b in zip(small, large[:4], strict=True):
        assert a.video_id == b.video_id and np.array_equal(a.landmarks, b.landmarks)
    other = generate(2, 2, seed=4)
    assert not np.allclose(small[0].landmarks[:5].mean(0), other[0].landmarks[:5].mean(0), atol=1e-3)


def test_onset_to_apex_times_match_the_paper(population):
    seconds = np.array([(v.apex_frame - v.onset_frame) / v.fps for v in population])
    assert seconds.mean() == pytest.approx(ONSET_MEAN_S, abs=0.12)
    assert seconds.std() == pytest.approx(ONSET_SD_S, abs=0.2)


def test_the_face_moves_from_rest_to_the_apex(population):
    assert np.mean([_distance(v, v.apex_frame) > 3 * _distance(v, 2) for v in population]) > 0.95


def test_smiles_come_in_many_intensities(population):
    smiles = np.array([v.intensity for v in population if v.expression == "smile"])
    assert smiles.min() < 0.45 and smiles.max() > 0.8


def test_the_basic_expressions_are_posed_to_their_apex(population):
    posed = np.array([v.intensity for v in population if v.expression != "smile"])
    assert posed.min() >= POSED_INTENSITY[0] and posed.max() <= 1.0


def test_precursors_move_the_face_before_the_onset():
    """Same people, same draws: only the precursors differ, and only they move the face early."""
    person = make_person(5, 0)
    with_them = [film(person, e, "x", np.random.default_rng(k)) for k, e in enumerate(EXPRESSIONS * 3)]
    without = [film(person, e, "x", np.random.default_rng(k), precursors=0.0) for k, e in enumerate(EXPRESSIONS * 3)]
    early = np.array([[_distance(v, v.onset_frame) for v in videos] for videos in (with_them, without)])
    assert early[0].mean() > 1.5 * early[1].mean()
    apex = np.array([[_distance(v, v.apex_frame) for v in videos] for videos in (with_them, without)])
    assert apex[0].mean() == pytest.approx(apex[1].mean(), rel=0.1)  # the expression itself is the same


def test_people_differ_in_face_and_camera():
    people = [make_person(0, i) for i in range(6)]
    faces = np.stack([p.face for p in people])
    assert faces.std(0).mean() > 0.003  # of a face 0.48 wide
    assert len({p.aspect for p in people}) > 1


def test_the_noise_free_track_is_the_same_face_without_the_trackers_jitter(population):
    for video in population[:7]:
        assert video.clean.shape == video.landmarks.shape and video.clean.dtype == np.float32
        error = video.landmarks - video.clean
        assert 1e-4 < np.abs(error).mean() < 3e-3  # jitter and a misreading: fractions of a percent of the face
        # frame to frame, the noise-free face at rest barely moves; the camera's jitters
        still = np.abs(np.diff(video.clean[:5], axis=0)).mean()
        assert still < 0.5 * np.abs(np.diff(video.landmarks[:5], axis=0)).mean()
    [calm] = calm_clips(1, 5.0, seed=0)
    assert calm.clean.shape == calm.landmarks.shape
