"""Every built-in face, menagerie-style: one second of babbling on the simulator stays sane."""

import numpy as np
import pytest

from mirrorface.data.babbling import Sampler
from mirrorface.face.spec import builtin_faces, load_spec
from mirrorface.hardware.sim import SimFace


@pytest.mark.parametrize("name", builtin_faces())
def test_one_second_of_uniform_babbling(name):
    spec = load_spec(name)
    commands = Sampler("uniform", hold_frames=1).commands(spec, 30, np.random.default_rng(0), 30)
    with SimFace(spec, seed=0) as face:
        for command in commands:
            sent = face.send(command)
            face.advance(1 / 30)
            positions, frame = face.read_positions(), face.read_frame()
            assert face.safety.is_safe(sent)
            assert np.all(np.isfinite(positions))
            assert np.all(positions >= spec.lower - 0.01) and np.all(positions <= spec.upper + 0.01)
            assert frame.shape == (spec.camera.height, spec.camera.width, 3)
            assert 40 < frame.mean() < 200  # neither black nor blown out
