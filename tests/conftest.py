"""Shared fixtures: built-in specs and a connected simulated face."""

import os

import pytest

os.environ.setdefault("GLOG_minloglevel", "2")

from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.hardware.sim import SimFace  # noqa: E402


@pytest.fixture(scope="session")
def lips10():
    return load_spec("lips10")


@pytest.fixture(scope="session")
def emo26():
    return load_spec("emo26")


@pytest.fixture
def sim_face(lips10):
    with SimFace(lips10, seed=0) as face:
        yield face
