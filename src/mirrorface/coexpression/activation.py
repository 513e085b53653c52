"""Which commands an expression activates: the paper's confusion matrix (Table 1).

A command is *activated* when it lies more than 0.25 (L1, on commands normalized to [0, 1])
from its value on the calm face; the calm region, +/- 0.25 around it, is half the range. Each
(expression, command) pair is one instance: positive if the target face's command is activated,
predicted positive if the predicted command is.
"""

from __future__ import annotations

import numpy as np

from mirrorface.errors import MirrorfaceError

THRESHOLD = 0.25


def activated(commands: np.ndarray, calm: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """(N, C) commands -> (N, C) bool: further than `threshold` from the calm face's commands."""
    return np.abs(np.asarray(commands) - calm) > threshold


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def confusion(predicted: np.ndarray, target: np.ndarray, calm: np.ndarray, threshold: float = THRESHOLD) -> dict:
    """The 2 x 2 counts and the paper's rates: accuracy, PPV, FOR, FPR, sensitivity, LR+.

    Args:
        predicted, target: (N, C) commands for the predicted and the true target faces.
        calm: (C,) commands of the calm face.
    """
    predicted, target = np.asarray(predicted), np.asarray(target)
    if predicted.shape != target.shape or predicted.ndim != 2:
        raise MirrorfaceError(f"predicted and target commands must both be (N, C), got {predicted.shape} "
                              f"and {target.shape}")
    p, t = activated(predicted, calm, threshold), activated(target, calm, threshold)
    tp, fp = int(np.sum(p & t)), int(np.sum(p & ~t))
    fn, tn = int(np.sum(~p & t)), int(np.sum(~p & ~t))
    sensitivity, fpr = _ratio(tp, tp + fn), _ratio(fp, fp + tn)
    return {
        "tp": tp, "fp": fp, "fn": fn, "tn": tn, "population": tp + fp + fn + tn,
        "accuracy": _ratio(tp + tn, tp + fp + fn + tn),
        "ppv": _ratio(tp, tp + fp),  # positive predictive value (precision)
        "for": _ratio(fn, fn + tn),  # false omission rate
        "fpr": fpr,  # false positive rate
        "sensitivity": sensitivity,  # true positive rate (recall)
        "lr_plus": _ratio(sensitivity, fpr),  # positive likelihood ratio
    }
