"""The predictive model's data, training, checkpoint, prediction and evaluation.

Data: synthetic humans (`synthetic.generate`), each video cut into training pairs around its
peak activation and labelled with the face the person made (`peak.windows`). The shipped
checkpoint learns from 800 synthetic participants (seed 1000 + `seed`) and is evaluated on 45
others it has never seen (seed 0, 990 videos: the size of the paper's 45-participant, 970-video
dataset), so "held out" means other people.

Evaluation follows the paper: for every video, the model sees the 4 frames ending at the peak
activation and predicts the target face; the error is the mean absolute error over the 113 x 2
target landmarks (canonical frame units: the face is about 0.48 wide), against the camera's frame at the
detector's target, as the paper scores it (the labels of generated people are their noise-free faces, so
this reference carries jitter the model was not trained towards). Baselines: mimicry (the
face at the peak activation) and random search (the target face of a random video of another
participant, or a random face from a pool the caller gives, e.g. the robot's own babbling).
Welch's t-test compares the means, as in the paper; a paired t-test is reported too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from scipy import stats

import mirrorface
from mirrorface.coexpression import independent
from mirrorface.coexpression.peak import find_peak, model_input, sample_pairs, windows
from mirrorface.coexpression.synthetic import ExpressionVideo, generate, iter_generate
from mirrorface.errors import MirrorfaceError
from mirrorface.models.predictive import MIN_GAIN, PredictiveConfig, PredictiveModel
from mirrorface.models.threads import one_thread
from mirrorface.training.checkpoint import load_model
from mirrorface.training.loop import TrainConfig, fit

DEFAULT_CHECKPOINT = Path(mirrorface.__file__).parent / "checkpoints" / "predictive"


@dataclass(frozen=True)
class Population:
    """A population of generated people: `synthetic.generate(participants, videos, seed)`, or with
    source "independent" `independent.generate(...)` (a different generator, for evaluation only)."""

    participants: int
    videos: int  # per participant
    seed: int
    source: str = "synthetic"

    def videos_of(self) -> list[ExpressionVideo]:
        if self.source == "independent":
            return independent.generate(self.participants, self.videos, self.seed)
        return generate(self.participants, self.videos, self.seed)

    def iter_videos(self) -> Iterator[ExpressionVideo]:
        if self.source == "independent":
            return iter(self.videos_of())
        return iter_generate(self.participants, self.videos, self.seed)


EVALUATION = Population(45, 22, seed=0)  # the held-out people; training seeds start at TRAIN_SEED
INDEPENDENT = Population(45, 22, seed=0, source="independent")  # people of another generator, never trained on
HALF_INTENSITY = (0.4, 0.6)  # expressions made to about half their full size
TRAIN_SEED = 1000
TRAIN_PARTICIPANTS, QUICK_PARTICIPANTS = 800, 8

# The paper trains with Adam at lr 1e-5 and batch 128. On a CPU budget of a few minutes that is
# too slow (after 6000 steps the held-out error is 23% below mimicry's, against 37% at 1e-3), so
# the shipped checkpoint uses lr 1e-3, with the loop's warm-up and cosine decay.
PAPER = TrainConfig(steps=6000, batch_size=128, lr=1e-5, save_every=1000)
SHIPPED = replace(PAPER, lr=1e-3)
QUICK = TrainConfig(steps=60, batch_size=32, lr=1e-3, warmup=5, save_every=60)
QUICK_MODEL = PredictiveConfig(hidden=32)
NORMALIZER_PAIRS = 20_000  # training pairs the model's displacement fields and output scale are fitted on


def training_windows(videos: Iterable[ExpressionVideo]) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
    """Every video's 9 frames around the peak activation, 4 label frames and resting face, and how many
    participants.

    Returns:
        (((V, 9, 113, 2), (V, 4, 113, 2), (V, 113, 2)), participants); only these are kept in memory.
    """
    pairs, participants = [], set()
    for video in videos:
        pairs.append(windows(video))
        participants.add(video.participant)
    if not pairs:
        raise MirrorfaceError("no videos to train on")
    return tuple(np.stack(a) for a in zip(*pairs, strict=True)), len(participants)


def train_predictive(out: str | Path | None, quick: bool = False, seed: int = 0, resume: bool = False,
                     progress: Callable[[int, int, float], None] | None = None, *,
                     settings: TrainConfig | None = None, videos: Iterable[ExpressionVideo] | None = None,
                     model_config: PredictiveConfig | None = None) -> dict:
    """Train the predictive model on synthetic humans (or on `videos`) into the folder `out`.

    Args:
        out: checkpoint folder (model.safetensors, config.json, train state); None keeps the
            model in memory only (returned under "model").
        quick: a tiny model, population and run, for smoke tests (seconds).
        seed: the training population (TRAIN_SEED + seed) and every batch; never the
            evaluation population's.
        resume: continue the run saved in `out` up to `settings.steps`.
        progress: progress(step, total_steps, loss) after every step.
        settings: optimiser settings (default SHIPPED, or QUICK); `PAPER` is the paper's lr.
        videos: train on these instead of a synthetic population (e.g. `videos.read_folder`).
        model_config: the architecture (default PredictiveConfig(), or QUICK_MODEL).

    Returns:
        fit's {"step", "losses", "seconds", "parameters"} plus "videos", "participants" and "model".
    """
    settings = settings or replace(QUICK if quick else SHIPPED, seed=seed)
    model_config = model_config or (QUICK_MODEL if quick else PredictiveConfig())
    if videos is None:
        population = Population(QUICK_PARTICIPANTS if quick else TRAIN_PARTICIPANTS, 7 if quick else 22,
                                 TRAIN_SEED + seed)
        cut, participants = training_windows(population.iter_videos())
        data = {"synthetic": asdict(population)}
    else:
        cut, participants = training_windows(videos)
        data = {"videos": len(cut[0]), "participants": participants}
    torch.manual_seed(seed)  # the initial weights
    model = PredictiveModel(model_config)
    _, targets, rest = sample_pairs(*cut, np.random.default_rng([seed, 1 << 30]), NORMALIZER_PAIRS)
    model.set_normalizer(torch.from_numpy(targets), torch.from_numpy(rest))

    def batch(rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y, r = sample_pairs(*cut, rng, settings.batch_size)
        return torch.from_numpy(x), torch.from_numpy(r), torch.from_numpy(y)

    meta = {"data": data, "evaluation": asdict(EVALUATION)}
    with one_thread():
        result = fit(model, batch, settings, out, resume=resume, progress=progress, meta=meta)
    return {**result, "videos": len(cut[0]), "participants": participants, "model": model}


def load_predictive(path: str | Path | None = None) -> PredictiveModel:
    """The model in `path` (default: the shipped checkpoint), in eval mode."""
    return load_model(PredictiveModel, PredictiveConfig, path or DEFAULT_CHECKPOINT, what="predictive model",
                      train_command="mirrorface train predictive")


def _checked(frames: np.ndarray, rest: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """float32 frames (4, 113, 2) or (B, 4, 113, 2) and their resting faces (113, 2) or (B, 113, 2)."""
    frames, rest = np.asarray(frames, np.float32), np.asarray(rest, np.float32)
    if frames.shape[-3:] != shape or frames.ndim not in (3, 4) or rest.shape != frames.shape[:-3] + shape[1:]:
        raise MirrorfaceError(f"the predictive model takes {shape} frames and a {shape[1:]} resting face (or a batch "
                              f"of both), got {frames.shape} and {rest.shape}")
    return frames, rest


@torch.no_grad()
def predict(model: PredictiveModel, frames: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Target landmarks from 4 frames and the person's resting face: (4, 113, 2), (113, 2) -> (113, 2), or
    batched (B, 4, 113, 2), (B, 113, 2) -> (B, 113, 2)."""
    frames, rest = _checked(frames, rest, (model.config.n_frames, model.config.n_landmarks, 2))
    single = frames.ndim == 3
    training = model.training
    prediction, _ = model.eval()(torch.from_numpy(frames[None] if single else frames),
                                 torch.from_numpy(rest[None] if single else rest))
    model.train(training)
    return prediction[0].numpy() if single else prediction.numpy()


class FastPredictive:
    """The trained predictive model as NumPy matrix products, for the loop's one prediction per tick.

    One sample at a time, PyTorch spends most of its time in per-operator overhead and in its
    intra-op thread pool: with torch's default two threads a caller got about 600 predictions a
    second on the 2-core development VM (the paper: 650). NumPy does not touch torch's thread
    setting, so this runs at the same speed whatever the caller set. The two last layers have no
    activation between them and fold into one; the same operations as the module otherwise, in
    float32.
    """

    def __init__(self, model: PredictiveModel):
        config = model.config
        self.shape = (config.n_frames, config.n_landmarks, 2)
        self.skip = (config.skip_from, config.skip_to)
        weights = [layer.weight.detach().double().numpy().T for layer in model.fc]  # (in, out)
        biases = [layer.bias.detach().double().numpy() for layer in model.fc]
        last_w, last_b = weights[-2] @ weights[-1], biases[-2] @ weights[-1] + biases[-1]  # FC7 then FC8
        self.layers = [(w.astype(np.float32), b.astype(np.float32))
                       for w, b in [*zip(weights[:-2], biases[:-2], strict=True), (last_w, last_b)]]
        self.fields = model.fields.numpy().astype(np.float32)  # (K, n)

    def __call__(self, frames: np.ndarray, rest: np.ndarray) -> np.ndarray:
        """Target landmarks from 4 frames and the person's resting face: (4, 113, 2), (113, 2) -> (113, 2), or
        batched (B, 4, 113, 2), (B, 113, 2) -> (B, 113, 2)."""
        frames, rest = _checked(frames, rest, self.shape)
        flat_rest = rest.reshape(*rest.shape[:-2], 1, -1)  # (..., 1, n)
        c = (frames.reshape(*frames.shape[:-2], -1) - flat_rest) @ self.fields.T  # (..., F, K)
        gain = np.maximum(np.linalg.norm(c[..., -1, :], axis=-1, keepdims=True), MIN_GAIN)  # (..., 1)
        h = (c / gain[..., None]).reshape(*c.shape[:-2], -1)  # (..., F * K)
        skip = None
        for i, (w, b) in enumerate(self.layers[:-1], start=1):
            h = np.tanh(h @ w + b)
            if i == self.skip[0]:
                skip = h
            elif i == self.skip[1]:
                h = h + skip
        w, b = self.layers[-1]
        coefficients = c[..., -1, :] + gain * (h @ w + b)  # (..., K)
        return (flat_rest[..., 0, :] + coefficients @ self.fields).reshape(rest.shape)


@dataclass(frozen=True, eq=False)
class TargetPredictions:
    """The model's and the baselines' target faces for a set of videos, all (V, 113, 2) unless noted."""

    videos: list[ExpressionVideo]
    rest: np.ndarray  # the resting faces (mean of the first 5 frames)
    inputs: np.ndarray  # (V, 4, 113, 2) what the model saw
    predicted: np.ndarray  # the model's target faces
    mimicry: np.ndarray  # the faces at the peak activation
    target: np.ndarray  # the true target faces (the detector's target frame)
    activation_frame: np.ndarray  # (V,) int
    target_frame: np.ndarray  # (V,) int


def predict_targets(model: PredictiveModel, videos: Sequence[ExpressionVideo]) -> TargetPredictions:
    """Run the peak detector and the model on every video (the evaluation protocol)."""
    if not videos:
        raise MirrorfaceError("no videos to predict")
    peaks = [find_peak(v.landmarks, v.fps) for v in videos]
    inputs = np.stack([model_input(v.landmarks, p.activation_frame) for v, p in zip(videos, peaks, strict=True)])
    rest = np.stack([p.rest for p in peaks])
    return TargetPredictions(
        list(videos), rest, inputs, predict(model, inputs, rest),
        np.stack([v.landmarks[p.activation_frame] for v, p in zip(videos, peaks, strict=True)]),
        np.stack([v.landmarks[p.target_frame] for v, p in zip(videos, peaks, strict=True)]),
        np.array([p.activation_frame for p in peaks]), np.array([p.target_frame for p in peaks]),
    )


def summary(errors: np.ndarray) -> dict:
    """Mean, SD, SEM, 95% confidence interval of the mean, median and the values themselves."""
    errors = np.asarray(errors, dtype=np.float64)
    sem = float(stats.sem(errors)) if len(errors) > 1 else float("nan")
    half = float(stats.t.ppf(0.975, len(errors) - 1) * sem) if len(errors) > 1 else float("nan")
    mean = float(errors.mean())
    return {"mean": mean, "sd": float(errors.std(ddof=1)) if len(errors) > 1 else float("nan"), "sem": sem,
            "ci95": [mean - half, mean + half], "median": float(np.median(errors)), "values": errors.tolist()}


def _random_search(targets: np.ndarray, participants: list[str], pool: np.ndarray | None,
                   rng: np.random.Generator) -> np.ndarray:
    """One random face per video: from `pool`, or another participant's target face."""
    if pool is not None:
        return pool[rng.integers(len(pool), size=len(targets))]
    owners = np.array(participants)
    picks = []
    for owner in owners:
        others = np.flatnonzero(owners != owner)
        if len(others) == 0:
            raise MirrorfaceError("random search needs videos of at least two participants, or a pool")
        picks.append(targets[rng.choice(others)])
    return np.stack(picks)


def compare(result: TargetPredictions, pool: np.ndarray | None = None, seed: int = 0) -> dict:
    """Landmark MAE of the model against mimicry and random search on predicted targets; plain dict."""
    videos = result.videos
    rng = np.random.default_rng(seed)
    guesses = {"model": result.predicted, "mimicry": result.mimicry,
               "random_search": _random_search(result.target, [v.participant for v in videos], pool, rng)}
    errors = {name: np.abs(guess - result.target).mean((1, 2)) for name, guess in guesses.items()}
    tests = {}
    for baseline in ("mimicry", "random_search"):
        welch = stats.ttest_ind(errors["model"], errors[baseline], equal_var=False)
        paired = stats.ttest_rel(errors["model"], errors[baseline])
        tests[baseline] = {"t": float(welch.statistic), "p": float(welch.pvalue),
                           "paired_t": float(paired.statistic), "paired_p": float(paired.pvalue),
                           "model_better": float((errors["model"] < errors[baseline]).mean())}
    groups = {e: np.array([v.expression == e for v in videos]) for e in sorted({v.expression for v in videos})}
    by_expression = {e: _paired(errors, mask) for e, mask in groups.items()}
    intensity = np.array([v.intensity for v in videos])
    half = (intensity >= HALF_INTENSITY[0]) & (intensity <= HALF_INTENSITY[1])
    by_intensity = {"half (0.4-0.6)": _paired(errors, half), "full (0.8-1)": _paired(errors, intensity >= 0.8),
                    "all": _paired(errors, np.ones(len(videos), bool))}
    fps = np.array([v.fps for v in videos])
    lead = (result.target_frame - result.activation_frame) / fps  # time from the peak activation to the target
    return {"videos": len(videos), "participants": len({v.participant for v in videos}),
            "mae": {name: summary(e) for name, e in errors.items()}, "t_test": tests, "by_expression": by_expression,
            "by_intensity": by_intensity,
            "activation_to_target_s": {"mean": float(lead.mean()), "sd": float(lead.std())}}


def _paired(errors: dict[str, np.ndarray], mask: np.ndarray) -> dict:
    """Mean errors of a subset of videos, the model's share of wins over mimicry, and paired tests of it
    (paired t-test of the errors; sign test of the wins)."""
    model, mimicry = errors["model"][mask], errors["mimicry"][mask]
    n, wins = int(mask.sum()), int((model < mimicry).sum())
    row = {"videos": n, **{k: float(e[mask].mean()) if n else float("nan") for k, e in errors.items()},
           "model_better": wins / n if n else float("nan")}
    if n > 1:
        row["paired_p"] = float(stats.ttest_rel(model, mimicry).pvalue)
        row["sign_test_p"] = float(stats.binomtest(wins, n).pvalue)
    return row


def evaluate_predictive(model: PredictiveModel, videos: Sequence[ExpressionVideo] | None = None, *,
                        pool: np.ndarray | None = None, seed: int = 0) -> dict:
    """Held-out evaluation: the model against mimicry and random search (the paper's Fig. 4B).

    Args:
        videos: default: the held-out synthetic participants (EVALUATION, 990 videos).
        pool: faces (N, 113, 2) for the random-search baseline; default: other participants' targets.
        seed: the random-search draws.

    Returns:
        {"videos", "participants", "mae": {model|mimicry|random_search: {mean, sd, sem, ci95,
        median, values}}, "t_test": {mimicry|random_search: {t, p, paired_t, paired_p,
        model_better}}, "by_expression": {name: {videos, model, mimicry, random_search}},
        "activation_to_target_s": {mean, sd}}.
    """
    return compare(predict_targets(model, videos if videos is not None else EVALUATION.videos_of()), pool, seed)


def _folds(videos: Sequence[ExpressionVideo], by: str, folds: int, seed: int) -> list[np.ndarray]:
    if by not in ("video", "participant"):
        raise MirrorfaceError(f"cross-validation splits by 'video' or 'participant', not {by!r}")
    rng = np.random.default_rng(seed)
    if by == "video":
        return np.array_split(rng.permutation(len(videos)), folds)
    people = rng.permutation(sorted({v.participant for v in videos}))
    groups = np.array_split(people, folds)
    return [np.flatnonzero(np.isin([v.participant for v in videos], group)) for group in groups]


def cross_validate(videos: Sequence[ExpressionVideo] | None = None, *, by: str = "participant", folds: int = 5,
                   quick: bool = False, steps: int = 3000, seed: int = 0) -> dict:
    """k-fold cross-validation within one dataset (the paper's supplementary tests).

    Each fold trains a fresh model on the other folds (the SHIPPED settings with `steps` steps;
    QUICK with `quick`) and evaluates it on its own videos.

    Args:
        videos: default: the EVALUATION population (45 participants, as in the paper).
        by: "video" (a participant's videos may fall on both sides) or "participant".

    Returns:
        {"by", "folds": [compare(...) without per-video values, ...], "mae": {model|mimicry|
        random_search: mean over folds}, "model_better_than_mimicry": folds where it was}.
    """
    videos = list(videos) if videos is not None else EVALUATION.videos_of()
    if folds < 2 or folds > len(videos):
        raise MirrorfaceError(f"cannot make {folds} folds of {len(videos)} videos")
    results = []
    for k, test in enumerate(_folds(videos, by, folds, seed)):
        held = set(test.tolist())
        train = [v for i, v in enumerate(videos) if i not in held]
        settings = replace(QUICK if quick else replace(SHIPPED, steps=steps), seed=seed + k)
        model = train_predictive(None, quick=quick, seed=seed + k, settings=settings, videos=train)["model"]
        result = compare(predict_targets(model, [videos[i] for i in test]), seed=seed + k)
        for errors in result["mae"].values():
            errors.pop("values")
        results.append(result)
    mae = {name: float(np.mean([r["mae"][name]["mean"] for r in results])) for name in results[0]["mae"]}
    better = sum(r["mae"]["model"]["mean"] < r["mae"]["mimicry"]["mean"] for r in results)
    return {"by": by, "folds": results, "mae": mae, "model_better_than_mimicry": int(better)}
