"""Train, load, run and evaluate the coexpression inverse model (the robot's self-model).

Training draws every batch from the recombined half-face sets (`SelfModelData.recombine`).
Evaluation follows the paper's Fig. 4A: the L1 distance between the commands a method proposes
for a face and the commands that really made it, against the paper's three baselines: random
commands (uniform over [0, 1]), a random face (the commands of a random training frame) and the
nearest neighbour (the commands of the training frame whose landmarks are closest); and against
three that are harder to beat (issue 17): the neutral commands (the robot's resting face, right
wherever a command was left at rest), a linear least-squares map from landmarks to commands, and
the mean of the 10 nearest neighbours. Distances are the mean absolute difference per command
(L1 / number of commands), on normalized commands. `pose_density` splits a test set into dense
poses (most commands moved from neutral) and sparse ones (a few moved), which favour different
baselines.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from scipy import stats

import mirrorface
from mirrorface.coexpression.normalize import RobotRange, robot_range
from mirrorface.coexpression.selfmodel import SelfModelData, StillFrames
from mirrorface.models.inverse import InverseConfig, InverseModel
from mirrorface.perception.subset import N_UPPER
from mirrorface.training.checkpoint import load_model
from mirrorface.training.loop import TrainConfig, fit

DEFAULT_CHECKPOINT = Path(mirrorface.__file__).parent / "checkpoints" / "inverse"
# The paper trains with Adam at lr 1e-6 for an unstated number of epochs; on a CPU budget of a
# minute, AdamW at 1e-3 with cosine decay reaches a lower validation error.
DEFAULT_TRAIN = TrainConfig(steps=10_000, batch_size=256, lr=1e-3, weight_decay=1e-4, warmup=100, save_every=1000)
# Gaussian noise added to every training landmark (canonical units). The faces the model is given
# at run time are predictions of a person's face, uncertain by about the predictive model's error
# (MAE 0.0025, so a standard deviation near 0.003) on top of MediaPipe's jitter, and a person's
# face moves in ways the robot's never does. Without noise the network answers such faces with
# large, jumpy commands (a smile closed the lids). The robot's own landmarks are measured to
# 0.0005, so the noise costs accuracy on its frames; a level drawn per frame (0 to 0.004) cost
# less there but made the commands for a person's face jumpier (issue 17; docs/coexpression.md).
LANDMARK_NOISE = 0.004
METHODS = ("inverse model", "linear least squares", "10 nearest neighbours", "nearest neighbour", "neutral commands",
           "random face", "random commands")
NEIGHBOURS = 10
NN_CHUNK = 2000  # queries per distance matrix in `nearest_neighbour`
LINEAR_FIT_JOINS = 20_000  # training joins the least-squares map is fitted on
MOVED = 0.05  # a command further than this from neutral (normalized units) is moved


def train_inverse(data: SelfModelData, out: Path | None, config: TrainConfig = DEFAULT_TRAIN,
                  model_config: InverseConfig | None = None, *, resume: bool = False,
                  progress: Callable[[int, int, float], None] | None = None, meta: dict | None = None,
                  ) -> tuple[InverseModel, dict]:
    """Train on the recombined training sets (and keep the robot's rest and landmark range with the weights)."""
    model_config = model_config or InverseConfig(n_commands=len(data.outputs))
    torch.manual_seed(config.seed)
    model = InverseModel(model_config)
    sample, _ = data.recombine(np.random.default_rng([config.seed, 2**31]), 20_000)  # apart from the batches' seeds
    model.set_landmark_stats(torch.from_numpy(sample))
    span = robot_range(data.all_landmarks(), data.rest)
    for name, value in (("robot_rest", span.rest), ("robot_low", span.low), ("robot_high", span.high)):
        getattr(model, name).copy_(torch.from_numpy(value))

    def batch(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        landmarks, commands = data.recombine(rng, config.batch_size)
        landmarks += rng.normal(0.0, LANDMARK_NOISE, landmarks.shape).astype(np.float32)
        return torch.from_numpy(landmarks), torch.from_numpy(commands)

    info = {"outputs": list(data.outputs.names), "upper_frames": len(data.upper), "lower_frames": len(data.lower),
            "landmark_noise": LANDMARK_NOISE, **(meta or {})}
    result = fit(model, batch, config, out, resume=resume, progress=progress, meta=info)
    return model, result


def load_inverse(path: Path | str | None = None) -> InverseModel:
    """The inverse model in a checkpoint folder (the shipped one by default), in eval mode."""
    return load_model(InverseModel, InverseConfig, path or DEFAULT_CHECKPOINT, what="inverse model",
                      train_command="mirrorface train inverse")


def robot_range_of(model: InverseModel) -> RobotRange:
    """R_s, R_min and R_max of the robot the model was trained on."""
    return RobotRange(model.robot_rest.numpy(), model.robot_low.numpy(), model.robot_high.numpy())


@torch.inference_mode()
def commands_for(model: InverseModel, landmarks: np.ndarray) -> np.ndarray:
    """Landmarks (..., 113, 2) -> commands (..., n_commands), as NumPy."""
    landmarks = np.asarray(landmarks, np.float32)
    flat = torch.from_numpy(landmarks.reshape(-1, *landmarks.shape[-2:]))
    commands, _ = model(flat)
    return commands.numpy().reshape(*landmarks.shape[:-2], -1)


class FastInverse:
    """The trained inverse model as three NumPy matrix products, for the loop's one face per tick.

    The input standardisation and both batch norms are affine maps next to a linear layer, so in
    eval mode they fold into that layer's weights; what is left is linear, ReLU, linear, ReLU,
    linear, sigmoid. One face at a time this runs 2-4x faster than the module (whose every
    operator costs the same ~20 us of framework overhead at this size), with the same outputs.
    """

    def __init__(self, model: InverseModel):
        modules = list(model.mlp.net)
        linear = [m for m in modules if isinstance(m, torch.nn.Linear)]
        norms = [m for m in modules if isinstance(m, torch.nn.BatchNorm1d)]
        if len(linear) != 3 or len(norms) != 2:
            raise ValueError("FastInverse expects the inverse model's three linear layers and two batch norms")
        weights = [layer.weight.detach().double().numpy().T for layer in linear]  # (in, out)
        biases = [layer.bias.detach().double().numpy() for layer in linear]
        mean, std = model.landmark_mean.double().numpy(), model.landmark_std.double().numpy()
        biases[0] = biases[0] - (mean / std) @ weights[0]  # W((x - mean) / std) + b
        weights[0] = weights[0] / std[:, None]
        for i, norm in enumerate(norms):  # gamma (z - running_mean) / sqrt(running_var + eps) + beta
            scale = norm.weight.detach().double().numpy() / np.sqrt(norm.running_var.double().numpy() + norm.eps)
            weights[i] = weights[i] * scale
            biases[i] = (biases[i] - norm.running_mean.double().numpy()) * scale + norm.bias.detach().double().numpy()
        self.layers = [(w.astype(np.float32), b.astype(np.float32)) for w, b in zip(weights, biases, strict=True)]

    def __call__(self, landmarks: np.ndarray) -> np.ndarray:
        """Landmarks (..., 113, 2) -> commands (..., n_commands)."""
        landmarks = np.asarray(landmarks, np.float32)
        h = landmarks.reshape(*landmarks.shape[:-2], -1)
        (w1, b1), (w2, b2), (w3, b3) = self.layers
        h = np.maximum(h @ w1 + b1, 0.0)
        h = np.maximum(h @ w2 + b2, 0.0)
        return 1.0 / (1.0 + np.exp(-(h @ w3 + b3)))


def nearest_neighbour(train: SelfModelData, landmarks: np.ndarray, k: int = 1) -> np.ndarray:
    """(N, 113, 2) -> (N, C): the upper commands of the upper-face frames whose upper half is
    nearest, joined to the lower commands of the lower-face frames whose lower half is nearest
    (the mean over the k nearest of each).

    Where the halves move independently this is the nearest of all len(upper) x len(lower) joins,
    found at the cost of len(upper) + len(lower) distances.
    """
    def closest(query: np.ndarray, pool: np.ndarray) -> np.ndarray:  # (N, k) indices
        q, p = query.reshape(len(query), -1), pool.reshape(len(pool), -1)
        nearest = min(k, len(pool))  # a half the face lacks is one resting frame
        found = []
        for start in range(0, len(q), NN_CHUNK):  # bounded memory: 40,000 queries x 10,000 frames is 1.6 GB
            chunk = q[start:start + NN_CHUNK]
            distances = (chunk**2).sum(1)[:, None] - 2 * chunk @ p.T + (p**2).sum(1)[None]
            # copy the k columns: a slice would keep the chunk's whole (chunk, pool) int64 index array alive
            found.append(distances.argmin(1)[:, None] if nearest == 1
                         else np.argpartition(distances, nearest - 1, 1)[:, :nearest].copy())
        return np.concatenate(found)

    i = closest(landmarks[:, :N_UPPER], train.upper.landmarks[:, :N_UPPER])
    j = closest(landmarks[:, N_UPPER:], train.lower.landmarks[:, N_UPPER:])
    return np.where(np.array(train.outputs.upper), train.upper.commands[i].mean(1), train.lower.commands[j].mean(1))


def fit_linear(train: SelfModelData, rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A least-squares linear map (with a bias) from landmarks to commands, fitted on training joins,
    its output clipped to the command range: landmarks (N, 113, 2) -> commands (N, C)."""
    landmarks, commands = train.recombine(rng, LINEAR_FIT_JOINS)
    x = (landmarks - train.rest).reshape(len(landmarks), -1).astype(np.float64)
    weights, *_ = np.linalg.lstsq(np.hstack([x, np.ones((len(x), 1))]), commands, rcond=None)

    def linear(faces: np.ndarray) -> np.ndarray:
        flat = (faces - train.rest).reshape(len(faces), -1)
        return np.clip(flat @ weights[:-1] + weights[-1], 0.0, 1.0)

    return linear


def pose_density(commands: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """(N, C) -> (N,) True for dense poses: more than half the commands moved from neutral."""
    return (np.abs(commands - neutral) > MOVED).sum(-1) > commands.shape[-1] / 2


def cross_product(data: SelfModelData) -> StillFrames:
    """Every join of an upper and a lower frame (the held-out sets' recombinations)."""
    i, j = np.meshgrid(np.arange(len(data.upper)), np.arange(len(data.lower)), indexing="ij")
    return StillFrames(*data.join(i.ravel(), j.ravel()))


def summary(errors: np.ndarray) -> dict:
    """Mean, SD, SEM, 95% confidence interval of the mean, median and count of per-sample errors."""
    n = len(errors)
    sem = float(errors.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    half = float(stats.t.ppf(0.975, n - 1) * sem) if n > 1 else float("nan")
    mean = float(errors.mean())
    return {"mean": mean, "sd": float(errors.std(ddof=1)) if n > 1 else 0.0, "sem": sem,
            "ci95": [mean - half, mean + half], "median": float(np.median(errors)), "n": n}


def evaluate_inverse(model: InverseModel, train: SelfModelData, test: StillFrames, neutral: np.ndarray,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """Per-sample L1 error (mean absolute command difference) of each method on one test set;
    `neutral` is the robot's neutral commands (C,)."""
    rng = np.random.default_rng(seed)
    n = len(test)
    _, random_face = train.recombine(rng, n)
    proposals = {
        "inverse model": commands_for(model, test.landmarks),
        "linear least squares": fit_linear(train, rng)(test.landmarks),
        f"{NEIGHBOURS} nearest neighbours": nearest_neighbour(train, test.landmarks, NEIGHBOURS),
        "nearest neighbour": nearest_neighbour(train, test.landmarks),
        "neutral commands": np.broadcast_to(neutral, test.commands.shape),
        "random face": random_face,
        "random commands": rng.uniform(0.0, 1.0, size=test.commands.shape),
    }
    return {method: np.abs(proposals[method] - test.commands).mean(-1) for method in METHODS}


def compare(errors: dict[str, np.ndarray]) -> dict:
    """Summaries of each method, and paired t-tests of the inverse model against each baseline."""
    ours = errors["inverse model"]
    return {"methods": {m: summary(e) for m, e in errors.items()},
            "t_test_vs_inverse_model": {m: float(stats.ttest_rel(ours, e).pvalue) for m, e in errors.items()
                                        if m != "inverse model"}}
