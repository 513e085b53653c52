"""Training the FAT on the robot's own sequences: commands it sent and latents of what it saw.

Data: the babbling episodes, plus the speech-relevant sequences that latent matching performs
on the face (`matching.match_iterations`), each also reversed (the paper's augmentation: the
model learns motions in both directions). A training window at frame t is
    A_{t-2}, A_{t-1} (encoder), L_t, L_{t+1} (decoder)  ->  A_t, A_{t+1} (target).
The previous commands get a little Gaussian noise, because when deployed the model feeds on its
own, imperfect, outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from mirrorface.articulation.coarticulation import A
from mirrorface.data.dataset import Dataset
from mirrorface.export.graphs import FAT_ONNX
from mirrorface.export.onnx import export_fat
from mirrorface.face.sim.skin import CLOSED_GAP_MM
from mirrorface.hardware.sim import SimFace
from mirrorface.lipsync.crop import crop_of
from mirrorface.lipsync.eager import StreamingFAT
from mirrorface.lipsync.execute import execute
from mirrorface.lipsync.frames import babbling_episodes, synthesized, training_sentences
from mirrorface.lipsync.latents import encode_crops, encode_frames
from mirrorface.lipsync.matching import Sequence, match_iterations
from mirrorface.lipsync.speak import stagger, stream_commands
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.models.vae import VAE
from mirrorface.training.checkpoint import save_model
from mirrorface.training.folder import read_meta
from mirrorface.training.loop import TrainConfig, distributed, fit

Progress = Callable[[str, int, int, float], None]  # (stage, step, total, loss)


@dataclass(frozen=True)
class FATTraining:
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=4000, batch_size=256, lr=1e-3, warmup=100, save_every=500))
    iterations: int = 4  # latent-matching iterations performed on the face (the paper's i = 4)
    match_noise: float = 0.04  # SD of the Gaussian noise added to matched commands
    voicings: int = 2  # voicings of each English training sentence used for matching
    sentences: int | None = None
    reverse: bool = True  # add every sequence reversed
    history_noise: float = 0.02  # SD of the noise on the encoder's previous commands
    closure_frames: str = "closures"  # where the closure loss applies: "closures" (frames whose
    # synthesized target shuts the lips) or "all" (eq. 7 as written; it tilts ambiguous vowels shut)
    babble_frames: int | None = None
    calibration_utterances: int = 6  # synthesized training utterances the lead is calibrated on
    seed: int = 0

    @classmethod
    def quick(cls, seed: int = 0) -> FATTraining:
        return cls(train=TrainConfig(steps=30, batch_size=64, lr=2e-3, save_every=15, seed=seed),
                   iterations=1, voicings=1, sentences=1, babble_frames=600, seed=seed)


QUICK_MODEL = {"d_model": 32, "heads": 2, "layers": 1, "ff": 64}


def fat_config_for(spec, **overrides) -> FATConfig:
    """The FAT's shape and closure loss for a face: actuators and closing directions from its spec."""
    names = spec.names
    closure = spec.lips.closure
    return FATConfig(n_actions=spec.n, closure_index=tuple(names.index(c.name) for c in closure),
                     closure_sign=tuple(int(c.closes) for c in closure),
                     closure_k=tuple(1.0 for _ in closure), **overrides)


def windows(sequences: list[Sequence], history: int, horizon: int, reverse: bool
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every training window of every sequence (and its reverse): actions, latents, targets and
    whether each target frame shuts the lips (W, horizon)."""
    actions, latents, targets, closing = [], [], [], []
    for seq in sequences:
        forward = (seq.commands, seq.latents, seq.closing_mask())
        for a, z, shut in [forward] + ([tuple(x[::-1] for x in forward)] if reverse else []):
            t = np.arange(history, len(a) - horizon + 1)
            if len(t) == 0:
                continue
            actions.append(a[t[:, None] + np.arange(-history, 0)])  # (W, history, n)
            latents.append(z[t[:, None] + np.arange(horizon)])  # (W, horizon, latent)
            targets.append(a[t[:, None] + np.arange(horizon)])  # (W, horizon, n)
            closing.append(shut[t[:, None] + np.arange(horizon)])  # (W, horizon)
    return (np.concatenate(actions).astype(np.float32), np.concatenate(latents).astype(np.float32),
            np.concatenate(targets).astype(np.float32), np.concatenate(closing).astype(np.float32))


def training_sequences(vae: VAE, data: str | Path, settings: FATTraining, progress: Progress | None = None
                       ) -> tuple[list[Sequence], list[np.ndarray], list[np.ndarray], dict]:
    """Babbling sequences, the speech-relevant sequences latent matching performs, the
    synthesized training targets' latents and where their lips are shut (one array per utterance)."""
    dataset = Dataset(data)
    spec = dataset.spec()
    crop = crop_of(vae.config)
    babble = [Sequence(e.commands, encode_crops(vae, e.crops))
              for e in babbling_episodes(dataset, crop, settings.babble_frames)]
    face = SimFace(spec, seed=settings.seed + 1)
    sentences = training_sentences(settings.voicings, settings.seed + 1, settings.sentences)
    spoken = synthesized(face.painter, crop, sentences)
    targets = [encode_crops(vae, s.crops) for s in spoken]
    closing = [s.track.values[:, A["bilabial"]] >= 0.5 for s in spoken]
    pool = Sequence(np.concatenate([s.commands for s in babble]), np.concatenate([s.latents for s in babble]))
    with face:
        matched, errors = match_iterations(
            face, targets, pool, lambda frames: encode_frames(vae, frames), settings.iterations,
            settings.match_noise, settings.seed,
            progress=None if progress is None else (lambda i, n: progress("latent matching", i, n, float("nan"))),
            closing=closing)
    info = {"babble_frames": int(sum(len(s.commands) for s in babble)),
            "matched_frames": int(sum(len(s.commands) for s in matched)),
            "synthesized_frames": int(sum(len(t) for t in targets)),
            "matching_latent_mse": errors}
    return babble + matched, targets, closing, info


LEADS = (1.0, 1.5, 2.0, 2.5, 3.0)  # half frames: servo lag is not a whole number of frames
JAW_LEADS = (0.0, 0.5, 1.0)  # frames the jaw's commands may go ahead of the others' (`speak.stagger`)
LATENT_SLACK = 0.2  # a lead may cost this much more latent error than the best if it times closures better


def jaw_lead(spec, frames: float) -> tuple[float, ...]:
    """`FATConfig.actuator_lead` that sends the jaw its commands `frames` ahead of the others."""
    jaw = spec.indices_of_groups({"jaw"})
    return tuple(frames if i in jaw else 0.0 for i in range(spec.n)) if frames else ()


def calibrate_lead(spec, fat: FAT, vae: VAE, targets: list[np.ndarray], closing: list[np.ndarray],
                   leads: tuple[float, ...] = LEADS, jaw_leads: tuple[float, ...] = JAW_LEADS, seed: int = 0
                   ) -> tuple[tuple[float, float], dict[str, dict]]:
    """The lead (frames) and the jaw's extra lead at which the FAT's performed speech best
    matches its targets: ((lead, jaw lead), the scores of each pair, keyed "lead+jaw").

    Each pair is performed on the face with its real lag, on training utterances (never the test
    material), and scored twice: latent MSE between the target frames and what the camera saw
    (the mouth's overall shape), and closure mismatch, the share of frames in which the lips are
    shut (the simulator's lip geometry at the measured positions, gap < CLOSED_GAP_MM) while the
    target is open, or open while it is shut. Closures decide, among the pairs within
    LATENT_SLACK of the best latent error: the lips shut quickly (a few mm from rest) but the
    jaw moves slowly, so the lead that fits the shape best shuts the lips ~50 ms early, and a
    closure out of time is what an observer sees first; the jaw, the slowest actuator, may need
    its part of a closure sent earlier than the lips theirs. On a real face, the closure timing
    would come from a lip-contact sensor or a fast camera instead of the simulator's geometry.
    """
    if not spec.indices_of_groups({"jaw"}):
        jaw_leads = (0.0,)  # a face without a jaw: every jaw lead is the same run
    squared = {(frames, jaw): [] for frames in leads for jaw in jaw_leads}
    mismatch = {pair: [] for pair in squared}
    for frames in leads:
        for target, shut in zip(targets, closing, strict=True):
            # the FAT feeds on its own unstaggered commands, so one run serves every jaw lead
            plain = list(stream_commands(StreamingFAT(fat, spec.neutral), target, frames))
            for jaw in jaw_leads:
                commands = np.stack(list(stagger(plain, jaw_lead(spec, jaw))))
                with SimFace(spec, seed=seed) as face:
                    run = execute(face, commands, spec.camera.fps)
                    seen = encode_frames(vae, run.frames)
                    closed = np.array([face.painter.mouth_of(p).centre_gap_mm() < CLOSED_GAP_MM
                                       for p in run.positions])
                squared[frames, jaw].append(((seen - target) ** 2).mean(1))
                mismatch[frames, jaw].append(closed != shut)
    scores = {f"{frames}+{jaw}": {"lead": frames, "jaw_lead": jaw,
                                  "latent_mse": float(np.concatenate(squared[frames, jaw]).mean()),
                                  "closure_mismatch": float(np.concatenate(mismatch[frames, jaw]).mean())}
              for frames, jaw in squared}
    return choose_lead(scores), scores


def choose_lead(scores: dict[str, dict]) -> tuple[float, float]:
    """(lead, jaw lead) of the pair that mismatches closures least (then: least latent error) among the
    pairs within LATENT_SLACK of the best latent error (`calibrate_lead`'s scores)."""
    best_latent = min(s["latent_mse"] for s in scores.values())
    fair = [s for s in scores.values() if s["latent_mse"] <= (1 + LATENT_SLACK) * best_latent]
    best = min(fair, key=lambda s: (s["closure_mismatch"], s["latent_mse"]))
    return best["lead"], best["jaw_lead"]


def fit_fat(sequences: list[Sequence], spec, out: str | Path | None, settings: FATTraining,
            model_overrides: dict | None = None, *, resume: bool = False, progress: Progress | None = None,
            meta: dict | None = None) -> tuple[FAT, dict]:
    """Train a FAT on prepared sequences (checkpointed into `out`, unless None): (model, fit's result)."""
    if settings.closure_frames not in ("closures", "all"):
        raise ValueError(f"closure_frames must be 'closures' or 'all', got {settings.closure_frames!r}")
    config = fat_config_for(spec, **(model_overrides or {}))
    actions, latents, targets, closing = windows(sequences, config.history, config.horizon, settings.reverse)
    torch.manual_seed(settings.seed)
    model = FAT(config)
    model.set_normalizer(torch.from_numpy(latents.reshape(-1, config.latent).mean(0)),
                         torch.from_numpy(latents.reshape(-1, config.latent).std(0)))
    a, z, y, shut = map(torch.from_numpy, (actions, latents, targets, closing))
    every_frame = settings.closure_frames == "all"

    def batch(rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        i = torch.from_numpy(rng.integers(len(a), size=settings.train.batch_size))
        noise = torch.from_numpy(rng.normal(0, settings.history_noise, (len(i), *a.shape[1:])).astype(np.float32))
        return ((a[i] + noise).clamp(0, 1), z[i], y[i]) + (() if every_frame else (shut[i],))

    result = fit(model, batch, settings.train, out, resume=resume,
                 progress=None if progress is None else (lambda s, t, loss: progress("train FAT", s, t, loss)),
                 meta={**(meta or {}), "windows": len(a), "closing_windows": int((closing.sum(1) > 0).sum())})
    return model, {**result, "windows": len(a)}


def train_fat(vae: VAE, data: str | Path, out: str | Path, settings: FATTraining = FATTraining(),
              model_overrides: dict | None = None, *, resume: bool = False, progress: Progress | None = None) -> dict:
    """Build the training sequences, then train a FAT on them into `out`."""
    out = Path(out)
    spec = Dataset(data).spec()
    sequences, spoken, closing, info = training_sequences(vae, data, settings, progress)
    meta = {"data": str(data), "face": spec.name, "vae": asdict(vae.config), "settings": asdict(settings),
            "data_info": info}
    model, result = fit_fat(sequences, spec, out, settings, model_overrides, resume=resume, progress=progress,
                            meta=meta)
    n = settings.calibration_utterances
    (best, jaw), scores = calibrate_lead(spec, model, vae, spoken[:n], closing[:n], seed=settings.seed)
    model.config = replace(model.config, lead=best, actuator_lead=jaw_lead(spec, jaw))
    save_model(model, out, {**read_meta(out), "lead_scores": scores})
    if distributed()[0] == 0:  # one process writes the graph
        export_fat(model, out / FAT_ONNX, spec.name, out)  # the deployment graph `say` streams on (onnxruntime)
    return {**result, **info, "lead": best, "jaw_lead": jaw, "lead_scores": scores}
