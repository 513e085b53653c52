import numpy as np
import pytest

from mirrorface.data.babbling import LOWER_GROUPS, UPPER_GROUPS, Sampler
from mirrorface.errors import MirrorfaceError
from mirrorface.face.safety import SafetyLayer


@pytest.mark.parametrize("kind", Sampler.KINDS)
@pytest.mark.parametrize("face", ["lips10", "emo26"])
def test_every_sampler_gives_safe_commands(kind, face, request):
    spec = request.getfixturevalue(face)
    sampler = Sampler(kind)
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
    jaw, lower = lips10.index_of("jaw"), lips10.index_of("lower_lip_center")
    closures = (cmds[:, jaw] < 0.1) & (cmds[:, lower] > lips10.neutral[lower] + 0.05)
    assert closures.mean() > 0.05


def test_uniform_holds_each_command(lips10):
    cmds = Sampler("uniform", hold_frames=5).commands(lips10, 20, np.random.default_rng(0), 30)
    assert all(np.array_equal(cmds[i], cmds[i - i % 5]) for i in range(20))


def test_bad_sampler_names_are_refused():
    with pytest.raises(MirrorfaceError, match="uniform"):
        Sampler("wiggle")
