"""Audio in, articulation out, with no transcript: training, checkpoints, prediction, evaluation.

The model (`models.audio2artic.Audio2Artic`) maps 10 ms log-mel frames of any voice in any
language to the nine articulator trajectories that `articulate` derives from eSpeak's phoneme
timeline, plus a lip-closure probability. It learns from eSpeak speech in 11 languages
(`audio_corpus`), augmented on the fly so that recorded speech and songs can drive the lips.

Checkpoints and the training loop are the package's own (`training.checkpoint`,
`training.loop.fit`); the input normaliser travels in the weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

import mirrorface
from mirrorface.articulation.phonemes import ARTICULATORS
from mirrorface.errors import MirrorfaceError
from mirrorface.models.audio2artic import BILABIAL, Audio2Artic, Audio2ArticConfig
from mirrorface.speech import audio_corpus
from mirrorface.speech.features import FEATURE_RATE, log_mel
from mirrorface.speech.synthesizers import available
from mirrorface.timeline import Timed, Timeline
from mirrorface.training import checkpoint
from mirrorface.training.folder import read_meta
from mirrorface.training.loop import TrainConfig as LoopConfig
from mirrorface.training.loop import fit

DEFAULT_CHECKPOINT = Path(mirrorface.__file__).parent / "checkpoints" / "audio2artic"
FRAME_MS = 10.0  # the model's frame step: audio_corpus.TARGET_FPS = 100


@dataclass(frozen=True)
class TrainConfig:
    """How the audio model is trained; kept in the checkpoint so a run can be repeated."""

    steps: int = 2500  # optimiser steps in total (a resumed run continues up to this)
    batch_size: int = 16  # clips per step
    crop_frames: int = 200  # 2 s clips: longer than the receptive field, short enough to be cheap
    lr: float = 2e-3  # AdamW peak learning rate, after a short warm-up, cosine-decayed to 10%
    weight_decay: float = 0.01
    seed: int = 0  # seeds the corpus voices, the model init and every step's batch
    voices_per_sentence: int = 5  # voicings (variant, rate, pitch) of each training sentence
    sentences_per_language: int | None = None  # None: all; a quick run uses a few
    other_voices: tuple[str, ...] = audio_corpus.OTHER_TRAIN_VOICES  # other synthesizers' voices, if installed
    save_every: int = 500  # steps between checkpoints, so an interrupt loses little
    vtlp: tuple[float, float] = (0.82, 1.05)  # vocal-tract-length perturbation: range of the warp
    # factor of the filterbank (<1 raises the formants, as a shorter vocal tract does: the other
    # synthesizers' training speakers are men)
    nonspeech: float = 0.15  # share of clips that are noise, music or knocks (`speech.nonspeech`) with
    # the articulation of silence as their target: the model, not a gate, keeps the mouth at rest;
    # the same share of speech clips has such sound under it, so that speech over music still speaks


def features(audio: np.ndarray, sample_rate: int, config: Audio2ArticConfig, warp: float = 1.0) -> np.ndarray:
    """(samples,) waveform -> (T, n_mels) log-mel frames as the model expects them.

    `warp` (training only) moves every band edge by that factor (VTLP): band k then hears what
    band k hears at `warp` = 1 in a voice whose formants are 1 / `warp` times higher.
    """
    return log_mel(audio, sample_rate, n_mels=config.n_mels, hop_ms=config.hop_ms, win_ms=config.win_ms,
                   fmin=config.fmin * warp, fmax=config.fmax * warp)


def _batch(corpus: list[audio_corpus.Utterance], config: TrainConfig, model_config: Audio2ArticConfig,
           rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random augmented crops: mel (B, T, n_mels), targets (B, T, 9), mask (B, T)."""
    b, t = config.batch_size, config.crop_frames
    mel = np.zeros((b, t, model_config.n_mels), np.float32)
    target = np.zeros((b, t, len(ARTICULATORS)), np.float32)
    mask = np.zeros((b, t), np.float32)
    for i in range(b):
        if config.nonspeech and rng.random() < config.nonspeech:  # no draw at 0: older runs repeat exactly
            audio, targets = audio_corpus.nonspeech_example(t, rng)
        else:
            audio, targets = audio_corpus.augment(corpus[rng.integers(len(corpus))], rng, config.nonspeech)
        m = features(audio, FEATURE_RATE, model_config, float(rng.uniform(*config.vtlp)))
        start = int(rng.integers(max(1, len(m) - t + 1)))
        n = min(t, len(m) - start)
        mel[i, :n], target[i, :n], mask[i, :n] = m[start:start + n], targets[start:start + n], 1.0
        mel[i, n:] = m[-1]  # pad with the trailing silence so the convs see no cliff
    return torch.from_numpy(mel), torch.from_numpy(target), torch.from_numpy(mask)


def save_audio_model(model: Audio2Artic, path: Path, training: dict | None = None) -> None:
    """Write model.safetensors + config.json into the folder `path`."""
    checkpoint.save_model(model, path, training)


def load_audio_model(path: str | Path | None = None) -> Audio2Artic:
    """Rebuild a model from `config.json` and load `model.safetensors` (default: the shipped one).

    Raises:
        MirrorfaceError: the folder lacks either file, or they do not fit each other.
    """
    return checkpoint.load_model(Audio2Artic, Audio2ArticConfig, path or DEFAULT_CHECKPOINT, "audio model",
                                 "mirrorface train audio")


def train_audio_model(out: str | Path, config: TrainConfig = TrainConfig(),
                      model_config: Audio2ArticConfig = Audio2ArticConfig(), *, resume: bool = False,
                      progress: Callable[[int, int, float], None] | None = None) -> dict:
    """Train (or resume training) an audio model into the folder `out`.

    Args:
        out: checkpoint folder; written every `save_every` steps and at the end.
        resume: continue from `out`'s train state, with its model config and settings; only
            `steps` may differ (to train longer).
        progress: called as progress(step, total_steps, loss) after every step.

    The closure threshold is left as the model config's (a resumed model's: its own);
    `eval.audio_validation.calibrate_audio_model` chooses it on the validation split, as
    `mirrorface train audio` does after training.

    Returns:
        {"step": last step, "losses": per-step losses of this run, "seconds", "parameters"}.
    """
    out = Path(out)
    if resume:
        if not (out / "train_state.json").is_file():
            raise MirrorfaceError(f"nothing to resume in {out}: it has no train_state.json")
        saved = {"nonspeech": 0.0, **read_meta(out)["data"]}  # a run saved before non-speech clips had none
        config = TrainConfig(**{**saved, "steps": config.steps})  # the corpus must be the one trained on
        model = load_audio_model(out)
    else:
        torch.manual_seed(config.seed)
        model = Audio2Artic(model_config)
    corpus = audio_corpus.training_corpus(config.seed, config.voices_per_sentence, config.sentences_per_language,
                                          tuple(v for v in config.other_voices if available(v)))
    if not resume:  # the input normaliser: per-band statistics of augmented training features
        rng = np.random.default_rng([config.seed, 1 << 30])
        sample = corpus[:: max(1, len(corpus) // 200)]  # ~200 clips spread over every language
        mels = np.concatenate([features(audio_corpus.augment(u, rng)[0], FEATURE_RATE, model.config)
                               for u in sample])
        model.set_normalizer(torch.from_numpy(mels.mean(0)), torch.from_numpy(mels.std(0)))
    loop = LoopConfig(steps=config.steps, batch_size=config.batch_size, lr=config.lr,
                      weight_decay=config.weight_decay, seed=config.seed, save_every=config.save_every)
    voices = sorted({u.voice for u in corpus})
    meta = {"data": asdict(config), "utterances": len(corpus), "voices": voices}
    return fit(model, lambda rng: _batch(corpus, config, model.config, rng), loop, out, resume=resume,
               progress=progress, meta=meta)


@torch.no_grad()
def infer_frames(model: Audio2Artic, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The network's articulators (T, 9) in [0, 1] and closure probability (T,) at 100 Hz (frame t at
    t * 10 ms), before the closures are shaped (`shut_closures`)."""
    training = model.training
    mel = torch.from_numpy(features(audio, sample_rate, model.config))[None]  # (1, T, n_mels)
    (values, logit), _ = model.eval()(mel)
    model.train(training)  # leave the caller's model as it was
    return values[0].numpy(), torch.sigmoid(logit[0]).numpy()


def shut_closures(values: np.ndarray, prob: np.ndarray, threshold: float) -> np.ndarray:
    """The lips shut (bilabial 1) wherever the closure probability exceeds `threshold`: the closure
    output finds closures a voice unlike the training's leaves half-shut on the bilabial articulator.
    Only the bilabial articulator: teeth the model still shows keep the drawn lips apart, which on
    validation speech guards vowels better than shutting everything as `articulate` does (more hits
    within the same vowel time shut; docs/lipsync.md)."""
    values = values.copy()
    values[prob > threshold, BILABIAL] = 1.0
    return values


def predict_frames(model: Audio2Artic, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Articulators (T, 9), closures shut at the model's calibrated `closure_threshold`, and closure
    probability (T,) at 100 Hz: frame t at t * 10 ms."""
    values, prob = infer_frames(model, audio, sample_rate)
    return shut_closures(values, prob, model.config.closure_threshold), prob


def resample_frames(x: np.ndarray, duration_ms: float, fps: float) -> np.ndarray:
    """(T, ...) values at 10 ms -> (F, ...) at k * 1000 / fps, F as in `articulate`."""
    n_frames = max(1, int(np.ceil(duration_ms * fps / 1000.0)))
    wanted, have = np.arange(n_frames) * 1000.0 / fps, np.arange(len(x)) * FRAME_MS
    columns = x.reshape(len(x), -1).T
    return np.stack([np.interp(wanted, have, c) for c in columns], axis=1).reshape(n_frames, *x.shape[1:])


def predict_articulation(model: Audio2Artic, audio: np.ndarray, sample_rate: int, fps: float) -> np.ndarray:
    """(F, 9) articulator values in [0, 1] at frame times k * 1000 / fps ms, like `Track.values`."""
    values, _ = predict_frames(model, audio, sample_rate)
    return resample_frames(values, 1000.0 * len(audio) / sample_rate, fps).astype(np.float32)


def closures_from_prediction(prediction: np.ndarray, fps: float = 100.0, threshold: float = 0.5,
                             min_ms: float = 30.0) -> Timeline[str]:
    """Lip-closure intervals (ms) where the prediction at `fps` exceeds `threshold`.

    Args:
        prediction: (F,) closure probabilities (`predict_frames`), or (F, 9) articulator
            values (`predict_articulation`), whose bilabial column is used: both find the
            held-out closures about equally well (frame F1 0.92).

    Frame k stands for [k - 1/2, k + 1/2] frame periods. An interval shorter than `min_ms` is
    widened about its centre to `min_ms`, so that no later frame sampling can miss it (as
    `articulate` does with eSpeak's closures); intervals that then touch are merged.
    """
    prediction = np.asarray(prediction)
    closure_prob = prediction[:, BILABIAL] if prediction.ndim == 2 else prediction
    step = 1000.0 / fps
    above = np.concatenate([[False], np.asarray(closure_prob) > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))  # run starts and (exclusive) ends
    items: list[Timed[str]] = []
    for first, stop in zip(edges[::2], edges[1::2], strict=True):
        start, end = (first - 0.5) * step, (stop - 0.5) * step
        if end - start < min_ms:
            middle = (start + end) / 2
            start, end = middle - min_ms / 2, middle + min_ms / 2
        start, end = max(0, int(round(start))), int(round(end))
        if items and start <= items[-1].end:
            start = items.pop().start
        items.append(Timed(start, end, "bilabial"))
    return Timeline(items)


def _metrics(pred: np.ndarray, prob: np.ndarray, target: np.ndarray, threshold: float) -> dict:
    """Scores of predictions (N, 9) and closure probabilities (N,) against targets (N, 9)."""
    lip = ARTICULATORS.index("lip_open")
    closed, found = target[:, BILABIAL] > 0.5, prob > threshold
    tp = float(np.sum(closed & found))
    f1 = 2 * tp / max(1.0, float(closed.sum() + found.sum()))
    corr = np.corrcoef(pred[:, lip], target[:, lip])[0, 1] if pred[:, lip].std() > 0 else 0.0
    mae = np.abs(pred - target).mean(0)
    return {"mae": dict(zip(ARTICULATORS, np.round(mae, 4).tolist(), strict=True)),
            "mae_mean": round(float(mae.mean()), 4), "lip_open_mae": round(float(mae[lip]), 4),
            "lip_open_mae_constant": round(float(np.abs(target[:, lip] - target[:, lip].mean()).mean()), 4),
            "lip_open_corr": round(float(corr), 4), "closure_f1": round(f1, 4), "frames": len(target)}


def evaluate_audio_model(model: Audio2Artic, noise_snr_db: float | None = None, seed: int = 0) -> dict:
    """Scores on the held-out sentences of every language (default voice and an unseen variant).

    Frame level at 100 Hz: per-articulator MAE, lip_open MAE against the best constant (the
    held-out mean), lip_open correlation, and the F1 of closure frames (bilabial target > 0.5
    against closure probability > the model's threshold). With `noise_snr_db`, white noise is added first.

    Returns:
        {"languages": {lang: scores}, "all": scores over every language}.
    """
    rng = np.random.default_rng(seed)
    per_lang: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for utt in audio_corpus.held_out_corpus():
        audio = utt.audio
        if noise_snr_db is not None:
            audio = audio + rng.standard_normal(len(audio)).astype(np.float32) * np.sqrt(
                np.mean(audio**2) / 10 ** (noise_snr_db / 10))
        values, prob = predict_frames(model, audio, FEATURE_RATE)
        n = min(len(values), len(utt.targets))
        per_lang.setdefault(utt.lang, []).append((values[:n], prob[:n], utt.targets[:n]))
    threshold = model.config.closure_threshold
    scores = {lang: _metrics(*(np.concatenate(x) for x in zip(*items, strict=True)), threshold)
              for lang, items in per_lang.items()}
    pooled = [item for items in per_lang.values() for item in items]
    return {"languages": scores,
            "all": _metrics(*(np.concatenate(x) for x in zip(*pooled, strict=True)), threshold)}
