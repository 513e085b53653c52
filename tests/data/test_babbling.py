import numpy as np
import pytest

from mirrorface.data.babbling import LOWER_GROUPS, UPPER_GROUPS, Sampler, near_rest_pose
from mirrorface.errors import MirrorfaceError
from mirrorface.face.safety import SafetyLayer
from mirrorface.face.sim.painter import Painter
from mirrorface.face.sim.skin import CLOSED_GAP_MM


@pytest.mark.parametrize("near_rest", [False, True])
@pytest.mark.parametrize("kind", Sampler.KINDS)
@pytest.mark.parametrize("face", ["lips10", "emo26"])
def test_every_sampler_gives_safe_commands(kind, face, near_rest, request):
    spec = request.getfixturevalue(face)
    if near_rest and kind == "speech":
        with pytest.raises(MirrorfaceError, match="speech"):
            Sampler(kind, near_rest=True)
        return
    sampler = Sampler(kind, near_rest=near_rest)
    if kind == "upper" and not spec.indices_of_groups(UPPER_GROUPS):
        with pytest.raises(MirrorfaceError):
            sampler.commands(spec, 10, np.random.default_rng(0), 30)
        return
    cmds = sampler.commands(spec, 240, np.random.default_rng(0), 30)
    safety = SafetyLayer(spec)
    assert cmds.shape == (240, spec.n)
    assert all(safety.is_safe(c) for c in cmds)
    still = [i for i in range(spec.n) if i not in sampler.moving(spec)]
    assert np.allclose(cmds[:, still], spec.neutral[still])
    assert cmds[:, sampler.moving(spec)].std(0).min() > 0.02  # every moving actuator moves


def test_upper_and_lower_split_the_expressive_face(emo26):
    upper, lower = Sampler("upper").moving(emo26), Sampler("lower").moving(emo26)
    assert not set(upper) & set(lower)
    assert {emo26.ordered[i].group for i in upper} == UPPER_GROUPS
    assert {emo26.ordered[i].group for i in lower} == LOWER_GROUPS


def test_same_seed_same_commands(lips10):
    a = Sampler("speech").commands(lips10, 100, np.random.default_rng(4), 30)
    b = Sampler("speech").commands(lips10, 100, np.random.default_rng(4), 30)
    c = Sampler("speech").commands(lips10, 100, np.random.default_rng(5), 30)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_speech_babbling_is_smooth_and_includes_lip_closures(lips10):
    cmds = Sampler("speech").commands(lips10, 3000, np.random.default_rng(0), 30)
    steps = np.abs(np.diff(cmds, axis=0))
    uniform = Sampler("uniform", hold_frames=1).commands(lips10, 3000, np.random.default_rng(0), 30)
    assert steps.mean() < 0.3 * np.abs(np.diff(uniform, axis=0)).mean()
    painter = Painter(lips10)
    shut = np.array([painter.mouth_of(c).centre_gap_mm() < CLOSED_GAP_MM for c in cmds])
    assert shut.mean() > 0.05


def test_uniform_holds_each_command(lips10):
    cmds = Sampler("uniform", hold_frames=5).commands(lips10, 20, np.random.default_rng(0), 30)
    assert all(np.array_equal(cmds[i], cmds[i - i % 5]) for i in range(20))


def test_bad_sampler_names_are_refused():
    with pytest.raises(MirrorfaceError, match="uniform"):
        Sampler("wiggle")


def test_near_rest_poses_lie_between_rest_and_the_uniform_pose():
    rng = np.random.default_rng(0)
    rest = np.full(7, 0.4)
    draws = [(pose := rng.random(7), near_rest_pose(rest, pose, rng)) for _ in range(4000)]
    share = np.array([(near - rest) / (pose - rest) for pose, near in draws])  # how far along rest -> pose
    assert np.all((share > -1e-9) & (share < 1 + 1e-9))
    moved = share > 1e-9
    assert moved.any(1).mean() > 0.95  # a pose moves something (unless graded all the way to rest)
    assert 0.4 < moved.mean() < 0.75  # sparse: 1..7 of 7 moved, 4/7 on average
    whole = np.all(np.isclose(share, 1.0), axis=1)
    assert 0.04 < whole.mean() < 0.11  # the uniform pose itself: 1/2 x 1/7
    graded = moved.any(1) & ~np.isclose(share.max(1), 1.0)
    assert 0.45 < graded.mean() < 0.55
    # a graded pose moves its kept values by one common factor
    assert all(np.allclose(s[m], s[m][0]) for s, m in zip(share[graded], moved[graded], strict=True))


def test_near_rest_babbling_keeps_more_of_the_face_near_rest(emo26):
    moving = Sampler("lower").moving(emo26)
    span = emo26.upper[moving] - emo26.lower[moving]
    near = []
    for near_rest in (False, True):
        cmds = Sampler("lower", hold_frames=1, near_rest=near_rest).commands(emo26, 600, np.random.default_rng(0), 30)
        near.append(np.mean(np.abs(cmds[:, moving] - emo26.neutral[moving]) < 0.1 * span))
    assert near[1] > 2 * near[0]


def test_near_rest_of_nothing_is_nothing():
    assert near_rest_pose([], [], np.random.default_rng(0)).shape == (0,)


def test_speech_babbling_shows_lip_teeth_contacts(lips10):
    # measured with the evaluation's own geometry: lower lip over the upper teeth, lips apart
    from mirrorface.eval.articulation import labiodental_contact
    from mirrorface.face.sim.painter import Painter

    cmds = Sampler("speech").commands(lips10, 3000, np.random.default_rng(0), 30)
    assert labiodental_contact(Painter(lips10), cmds).mean() > 0.04  # free poses alone: 1.4%
