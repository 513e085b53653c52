"""The loop's settings as the commands build them."""

import inspect
import math

import pytest

from mirrorface.coexpression.session import loop_config, smoothing_of
from mirrorface.coexpression.smoothing import SmootherConfig
from mirrorface.errors import MirrorfaceError


def test_smoothing_reads_off_or_a_cutoff_and_a_beta():
    assert smoothing_of("off").min_cutoff == math.inf
    assert smoothing_of(" 0.5, 100 ") == SmootherConfig(min_cutoff=0.5, beta=100.0)
    with pytest.raises(MirrorfaceError, match="MIN_CUTOFF_HZ,BETA"):
        smoothing_of("0.5")


def test_the_commands_default_is_the_shipped_smoother():
    from mirrorface.cli.coexpress import coexpress

    default = inspect.signature(coexpress).parameters["smoothing"].default.default
    assert smoothing_of(default) == SmootherConfig() == loop_config("mimic").smoothing
