"""`mirrorface train`: train the package's learned models.

Example:
    mirrorface train audio --out models/audio2artic              # the default budget (~10 min CPU)
    mirrorface train audio --out /tmp/a2a --quick                # a smoke test, under 30 s
    mirrorface train audio --out models/audio2artic --steps 6000 --resume   # train on
    mirrorface train audio --out models/audio2artic --calibrate  # choose its closure threshold again
The audio model maps any waveform (any language, any voice) to the nine articulator
trajectories; `--out` receives model.safetensors + config.json, plus the train state.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mirrorface.cli import coexpress
from mirrorface.errors import MirrorfaceError

app = typer.Typer(help="Train the learned models.", no_args_is_help=True)

# A quick run: 2 sentences per language, one voicing, a narrow model, 30 steps of 4 clips.
QUICK = {"steps": 30, "batch_size": 4, "crop_frames": 120, "voices_per_sentence": 1,
         "sentences_per_language": 2, "save_every": 30}
QUICK_MODEL = {"channels": 32, "layers": 4}
COLLAPSED_SPREAD = 0.1  # mean latent distance from the mean below which a VAE has stopped encoding


@app.callback()
def _group() -> None:
    """Train the learned models."""  # keeps `audio` a subcommand even while it is the only one


@app.command("audio")
def audio(
    out: Path = typer.Option(..., help="Checkpoint folder (model.safetensors, config.json, train state)."),
    quick: bool = typer.Option(False, help="A tiny model and corpus, for smoke tests (< 30 s); with --calibrate, "
                               "the first validation sentences only."),
    steps: int = typer.Option(None, help="Optimiser steps in total (default 2500, or 30 with --quick)."),
    seed: int = typer.Option(None, help="Seeds the corpus voices, the initial weights and every batch (default 0)."),
    nonspeech: float = typer.Option(None, help="Share of training clips that are noise, music or knocks with "
                                    "the mouth at rest as target, and of speech clips with such sound under "
                                    "them (default 0.15; 0: clean speech only, as before)."),
    resume: bool = typer.Option(False, help="Continue the run saved in --out up to --steps."),
    calibrate: bool = typer.Option(False, help="Train nothing: choose the closure threshold of the model in "
                                   "--out again, on the validation split. Rewrites only the threshold and its "
                                   "figures in --out's config.json (no --force needed; the weights stay)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite a checkpoint already in --out."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Train the audio -> articulation model on eSpeak speech in 11 languages, choose its closure
    threshold on the validation split; print its scores."""
    from mirrorface.eval.audio_validation import calibrate_audio_model
    from mirrorface.models.audio2artic import Audio2ArticConfig
    from mirrorface.speech.audio_model import TrainConfig, evaluate_audio_model, train_audio_model

    sentences = QUICK["sentences_per_language"] if quick else None  # validation sentences per language
    if calibrate:
        unused = [flag for flag, given in (("--steps", steps is not None), ("--seed", seed is not None),
                                           ("--nonspeech", nonspeech is not None), ("--resume", resume),
                                           ("--force", force)) if given]
        if unused:
            raise MirrorfaceError(f"--calibrate trains nothing and rewrites only the threshold in {out}/config.json: "
                                  f"drop {', '.join(unused)}")
        _report_calibration(out, calibrate_audio_model(out, sentences))
        return

    if steps is not None and steps < 1:
        raise MirrorfaceError(f"--steps must be positive, got {steps}")
    if nonspeech is not None and not 0.0 <= nonspeech < 1.0:
        raise MirrorfaceError(f"--nonspeech must be at least 0 and below 1, got {nonspeech}")
    if resume and nonspeech is not None:
        raise MirrorfaceError("--nonspeech cannot change a run being resumed: it goes on with its own share")
    _check_out(out, resume, force)
    settings = {**(QUICK if quick else {}), "seed": 0 if seed is None else seed}
    if steps is not None:
        settings["steps"] = steps
    if nonspeech is not None:
        settings["nonspeech"] = nonspeech
    config = TrainConfig(**settings)
    model_config = Audio2ArticConfig(**(QUICK_MODEL if quick else {}))
    bar, progress = _stage_bar(quiet)
    with bar:
        result = train_audio_model(out, config, model_config, resume=resume,
                                   progress=lambda step, total, loss: progress("training", step, total, loss))
    typer.echo(f"{out}: step {result['step']}, {result['parameters']} parameters, "
               f"{result['seconds']:.0f} s", err=True)
    calibrate_audio_model(out, sentences)  # the closure threshold, kept in config.json
    if not quick:  # held-out scores: every language, unseen sentences and an unseen voice
        from mirrorface.speech.audio_model import load_audio_model

        scores = evaluate_audio_model(load_audio_model(out))
        (out / "eval.json").write_text(json.dumps(scores, indent=2), encoding="utf-8")
        for lang, s in {**scores["languages"], "all": scores["all"]}.items():
            typer.echo(f"{lang:>4}  MAE {s['mae_mean']:.3f}  lip_open MAE {s['lip_open_mae']:.3f} "
                       f"(constant {s['lip_open_mae_constant']:.3f})  r {s['lip_open_corr']:.2f}  "
                       f"closure F1 {s['closure_f1']:.2f}")


def _report_calibration(out: Path, calibration: dict) -> None:
    from mirrorface.eval.audio_validation import percent

    typer.echo(f"{out}: closure threshold {calibration['threshold']}; validation: " + ", ".join(
        f"{voice} {percent(f['bilabial'])} hits ({percent(f['bilabial_shifted'])} late), "
        f"{percent(f['vowel_closed'])} vowel time shut" for voice, f in calibration["validation"].items()))


def _stage_bar(quiet: bool):
    """A progress bar per training stage, and the callback that drives it."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn())
    bar = Progress(*columns, disable=quiet, transient=True)
    tasks: dict[str, int] = {}

    def progress(stage: str, step: int, total: int, loss: float) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total, loss="-")
        bar.update(tasks[stage], completed=step, total=total, loss=f"{loss:.4f}")

    return bar, progress


def _check_out(out: Path, resume: bool, force: bool) -> None:
    if (out / "model.safetensors").exists() and not (resume or force):
        raise MirrorfaceError(f"{out} already holds a model: pass --resume to continue it or --force to replace it")


@app.command("vae")
def vae(
    data: Path = typer.Option(..., help="A babbling dataset (mirrorface babble) of the face."),
    out: Path = typer.Option(..., help="Checkpoint folder (pretrained/ inside keeps the first stage)."),
    quick: bool = typer.Option(False, help="A tiny model, a few hundred frames and a few steps (smoke tests)."),
    seed: int = typer.Option(0, help="Seeds the weights, every batch and the synthesized voices."),
    beta: float = typer.Option(None, help="Weight of the KL term (default: the model config's)."),
    resume: bool = typer.Option(False, help="Continue the run saved in --out."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite a checkpoint already in --out."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Pretrain the face-image VAE on babbling frames, then fine-tune on real + synthesized frames."""
    from mirrorface.lipsync.train_vae import QUICK_MODEL, VAETraining, train_vae
    from mirrorface.models.vae import VAEConfig

    _check_out(out, resume, force)
    if beta is not None and beta < 0:
        raise MirrorfaceError(f"--beta must not be negative, got {beta}")
    settings = VAETraining.quick(seed) if quick else VAETraining(seed=seed)
    config = QUICK_MODEL if quick else VAEConfig()
    if beta is not None:
        config = replace(config, beta=beta)
    bar, progress = _stage_bar(quiet)
    with bar:
        result = train_vae(data, out, settings, config, resume=resume, progress=progress)
    figures = {k: v for k, v in result.items() if k != "losses"}
    (out / "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    typer.echo(f"{out}: {result['parameters']} parameters, {result['real_frames']} real + "
               f"{result['synthesized_frames']} synthesized frames; held-out reconstruction MSE "
               f"{result['held_out_recon_mse']:.5f}, latent drift from pretraining {result['latent_drift']:.3f} "
               f"(spread {result['latent_spread']:.3f}), synthesized-to-real latent distance "
               f"{result['synthesized_to_nearest_real']:.3f}")
    if result["latent_spread"] < COLLAPSED_SPREAD:
        typer.echo("warning: the latents barely vary from frame to frame (posterior collapse); retrain with a "
                   "smaller --beta or another --seed", err=True)


@app.command("fat")
def fat(
    data: Path = typer.Option(..., help="The babbling dataset the VAE was trained on."),
    vae: Path = typer.Option(..., help="A VAE checkpoint folder (mirrorface train vae)."),
    out: Path = typer.Option(..., help="Checkpoint folder for the FAT."),
    quick: bool = typer.Option(False, help="A tiny model, one matching iteration and a few steps (smoke tests)."),
    seed: int = typer.Option(0, help="Seeds the weights, the matching noise and every batch."),
    resume: bool = typer.Option(False, help="Continue the run saved in --out (the data is rebuilt)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite a checkpoint already in --out."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Latent matching on the face (4 iterations), then the Facial Action Transformer."""
    from mirrorface.lipsync.train_fat import QUICK_MODEL, FATTraining, train_fat
    from mirrorface.models.vae import VAE, VAEConfig
    from mirrorface.training.checkpoint import load_model

    _check_out(out, resume, force)
    model = load_model(VAE, VAEConfig, vae, "VAE", "mirrorface train vae")
    settings = FATTraining.quick(seed) if quick else FATTraining(seed=seed)
    bar, progress = _stage_bar(quiet)
    with bar:
        result = train_fat(model, data, out, settings, QUICK_MODEL if quick else None, resume=resume,
                           progress=progress)
    figures = {k: v for k, v in result.items() if k != "losses"}
    (out / "figures.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    errors = ", ".join(f"{e:.3f}" for e in result["matching_latent_mse"])
    typer.echo(f"{out}: {result['parameters']} parameters, {result['windows']} windows from "
               f"{result['babble_frames']} babbling + {result['matched_frames']} matched frames; latent MSE "
               f"of the matched commands per iteration: {errors}; final loss {result['losses'][-1]:.4f}; "
               f"calibrated lead {result['lead']} frames, the jaw {result['jaw_lead']} more")


app.command("inverse")(coexpress.train_inverse)
app.command("predictive")(coexpress.train_predictive)
