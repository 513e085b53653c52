"""The command-activation confusion matrix (Table 1 of the paper) on constructed commands."""

import numpy as np
import pytest

from mirrorface.coexpression.activation import activated, confusion
from mirrorface.errors import MirrorfaceError

CALM = np.array([0.5, 0.2, 0.8])


def test_activated_means_further_than_a_quarter_from_calm_either_way():
    commands = np.array([[0.76, 0.2, 0.8], [0.24, 0.2, 0.54], [0.74, 0.44, 0.56]])
    assert activated(commands, CALM).tolist() == [[True, False, False], [True, False, True], [False, False, False]]


def test_counts_and_rates_by_hand():
    target = np.array([[0.9, 0.2, 0.8], [0.9, 0.6, 0.8], [0.5, 0.2, 0.1], [0.5, 0.2, 0.8]])
    predicted = np.array([[0.9, 0.2, 0.8], [0.6, 0.6, 0.8], [0.5, 0.9, 0.4], [0.5, 0.2, 0.8]])
    # instance by instance: TP (0,0) (1,1) (2,2); FN (1,0); FP (2,1); the other 7 are TN
    result = confusion(predicted, target, CALM)
    assert (result["tp"], result["fn"], result["fp"], result["tn"]) == (3, 1, 1, 7)
    assert result["population"] == 12
    assert result["accuracy"] == pytest.approx(10 / 12)
    assert result["ppv"] == pytest.approx(3 / 4)
    assert result["for"] == pytest.approx(1 / 8)
    assert result["fpr"] == pytest.approx(1 / 8)
    assert result["sensitivity"] == pytest.approx(3 / 4)
    assert result["lr_plus"] == pytest.approx(6.0)


def test_a_perfect_prediction_and_an_empty_class():
    target = np.array([[0.9, 0.2, 0.8]])
    result = confusion(target, target, CALM)
    assert result["accuracy"] == 1.0 and result["fpr"] == 0.0
    assert np.isnan(result["lr_plus"])  # no negatives predicted positive: the ratio is undefined


def test_shapes_must_agree():
    with pytest.raises(MirrorfaceError):
        confusion(np.zeros((2, 3)), np.zeros((3, 3)), CALM)
