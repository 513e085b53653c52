"""`mirrorface eval`: measurements, each written as a figure you can reproduce.

Example:
    mirrorface eval face --face lips10 --samples 1000
    mirrorface eval audio
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress

from mirrorface.cli import coexpress
from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import load_spec

app = typer.Typer(help="Measure faces and models.", no_args_is_help=True)


@app.command("face")
def face(
    face: str = typer.Option("lips10", help="A built-in face name or the path of a face.toml."),
    samples: int = typer.Option(1000, help="Random safe poses to render."),
    sampler: str = typer.Option("uniform", help="Which actuators move: uniform | speech | upper | lower."),
    seed: int = typer.Option(0, help="Seeds the poses, the camera noise and the MLP."),
    out: Path | None = typer.Option(None, help="Also write the figures as JSON here."),
) -> None:
    """MediaPipe detection rate on renders, and linear vs MLP error from commands to lips."""
    from mirrorface.eval.face_probe import probe_face

    if samples < 20:
        raise MirrorfaceError("--samples must be at least 20 (the fits need a held-out split)")
    spec = load_spec(face)
    with Progress(transient=True) as bar:
        task = bar.add_task("rendering + MediaPipe", total=samples)
        result = probe_face(spec, samples, sampler, seed, lambda k: bar.update(task, completed=k))
    typer.echo(f"face {result.face}, sampler {result.sampler}, {samples} random safe poses, seed {seed}")
    typer.echo(f"MediaPipe found the face in {result.detected}/{samples} = {result.detection_rate:.1%}")
    typer.echo(f"lip landmarks from commands, held-out RMSE: linear {result.linear_rmse_px:.2f} px, "
               f"MLP {result.mlp_rmse_px:.2f} px, ratio {result.nonlinearity_ratio:.2f}x")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result.as_dict(), indent=2))


@app.command("audio")
def audio(
    sentences: int = typer.Option(10, help="Held-out English sentences for the PocketSphinx and envelope paths."),
    noise_snr_db: float | None = typer.Option(None, help="Add white noise at this SNR for the learned model."),
    out: Path | None = typer.Option(None, help="Also write the figures as JSON here."),
) -> None:
    """Accuracy of every audio-in path against eSpeak NG's own phoneme timings on held-out speech."""
    from mirrorface.speech.accuracy import SENTENCES, evaluate_audio_paths
    from mirrorface.speech.audio_model import evaluate_audio_model, load_audio_model

    if not 1 <= sentences <= len(SENTENCES):
        raise MirrorfaceError(f"--sentences must be within 1..{len(SENTENCES)}")
    with Progress(transient=True) as bar:
        bar.add_task("aligning, recognising, predicting", total=None)
        paths = evaluate_audio_paths(n_sentences=sentences)
        learned = evaluate_audio_model(load_audio_model(), noise_snr_db=noise_snr_db)
    a, r, chance = paths["align"], paths["recognize"], paths["chance"]
    typer.echo(f"English, {paths['sentences']} held-out sentences, {paths['frames']} frames of 10 ms:")
    typer.echo(f"  forced alignment  onset error {a['onset_mae_ms']:.1f} ms mean, {a['onset_median_ms']:.0f} ms "
               f"median; mouth class right in {a['viseme_accuracy']:.1%} of frames; closures found "
               f"{a['bilabial_recall']:.1%}")
    typer.echo(f"  phone recognition mouth class right in {r['viseme_accuracy']:.1%} of frames (always the "
               f"commonest class: {chance['viseme_accuracy']:.1%}); closures found {r['bilabial_recall']:.1%}")
    typer.echo(f"  envelope          speech/silence right in {paths['envelope']['speech_accuracy']:.1%} of frames")
    typer.echo("learned audio model, 11 languages, held-out sentences, 100 Hz frames:")
    typer.echo("  lang  MAE    lip_open MAE (constant)  lip_open r  closure F1")
    for lang, s in [*learned["languages"].items(), ("all", learned["all"])]:
        typer.echo(f"  {lang:<4}  {s['mae_mean']:.3f}  {s['lip_open_mae']:.3f} ({s['lip_open_mae_constant']:.3f})"
                   f"          {s['lip_open_corr']:.2f}        {s['closure_f1']:.2f}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"paths": paths, "learned": learned}, indent=2))


BABBLE_FRAMES_PER_S = 90  # `mirrorface babble` on the 2-core development machine (docs/benchmarks.md)


def record_baseline_babbling(spec, face: str, data: Path, frames: int) -> None:
    """Record the dataset `eval lipsync`'s baselines draw from, saying where and for how long first."""
    from mirrorface.data.babbling import Sampler
    from mirrorface.data.recorder import BabblePlan, babble_dataset
    from mirrorface.face.spec import spec_path

    seconds = frames / BABBLE_FRAMES_PER_S
    took = f"{seconds / 60:.0f} minutes" if seconds >= 90 else f"{seconds:.0f} s"
    typer.echo(f"{data} does not exist: recording {frames:,} frames of speech babbling into {data.resolve()} "
               f"first (about {took} on 2 cores; pass --data to use another dataset; rerunning resumes it)",
               err=True)
    plan = BabblePlan(Sampler("speech", 4), frames, 300, seed=0)
    with Progress(*Progress.get_default_columns(), transient=True) as bar:
        task = bar.add_task("babbling", total=None)
        babble_dataset(spec, spec_path(face).read_text(encoding="utf-8"), data, plan,
                       progress=lambda k, todo: bar.update(task, completed=k, total=todo))


@app.command("lipsync")
def lipsync(
    face: str = typer.Option("lips10", help="The face to evaluate on (simulated)."),
    models: Path = typer.Option(None, help="Folder with vae/ and fat/ (default: the face's shipped models)."),
    scorer: Path = typer.Option(None, help="An independently trained VAE to score with "
                                "(default: the face's shipped scorer-vae/)."),
    data: Path = typer.Option(Path("data/lips10-babble"), help="The babbling dataset the baselines draw from; "
                              "recorded here (speech babbling, seed 0) if missing."),
    data_frames: int = typer.Option(20_000, help="Frames to record when --data is missing."),
    out: Path = typer.Option(Path("reports/lipsync"), help="Report folder: report.md, report.json, figures/."),
    quick: bool = typer.Option(False, help="One short sentence, two languages, two words (smoke tests)."),
    seed: int = typer.Option(0, help="Seeds the camera noise and the random baseline."),
) -> None:
    """Table 1 (ours vs five baselines), Fig. 5 (11 languages), word groups, articulation metrics."""
    from mirrorface.data.dataset import Dataset
    from mirrorface.eval.lipsync import Context
    from mirrorface.eval.lipsync_report import build_report
    from mirrorface.lipsync.speak import CHECKPOINTS, LipSyncModels
    from mirrorface.models.vae import VAE, VAEConfig
    from mirrorface.training.checkpoint import load_model

    spec = load_spec(face)
    lipsync_models = LipSyncModels.load(spec, models)
    judge = load_model(VAE, VAEConfig, scorer or CHECKPOINTS / spec.name / "scorer-vae", "scoring VAE",
                       "mirrorface train vae --seed 1")
    if data_frames < 1:
        raise MirrorfaceError("--data-frames must be positive")
    if not data.exists():
        record_baseline_babbling(spec, face, data, data_frames)
    dataset = Dataset(data)
    if dataset.spec().name != spec.name:
        raise MirrorfaceError(f"{data} was recorded on face {dataset.spec().name!r}, not {spec.name!r}")
    ctx = Context.load(spec, lipsync_models, judge, dataset, seed)
    with Progress(transient=True) as bar:
        task = bar.add_task("performing", total=None)
        report = build_report(ctx, out, quick, progress=lambda label: bar.update(task, description=label))
    c = report["checks"]
    for label, row in report["table1"].items():
        typer.echo(f"{label}: " + ", ".join(f"{m} {row[m]['independent']['mean']:.4f}" for m in row))
    typer.echo(f"beats every baseline on every sentence: {c['beats_every_baseline_on_every_sentence']}; "
               f"bilabial closure hit rate {c['bilabial_hit_rate']}; mean lip-audio offset {c['mean_offset_ms']} ms; "
               f"{c['languages_within_english1_sd']}/{c['languages']} languages within English1 mean ± SD")
    typer.echo(f"{out / 'report.md'} ({report['seconds']:.0f} s)")


def _pct(rate: dict) -> str:
    return "   —  " if rate["rate"] is None else f"{rate['rate']:6.1%}"


def _articulation_rows(paths: dict) -> list[str]:
    rows = [f"  {'path':<16} {'bilabial (500 ms late)':>22} {'labiodental (late)':>19} {'vowel time shut':>15} "
            f"{'open vowels shut':>16} {'onset median, |median| ms':>26}"]
    for path, r in paths.items():
        onset = r["onset"]
        timing = ("—" if onset["median_ms"] is None
                  else f"{onset['median_ms']:+.0f}, {onset['median_abs_ms']:.0f} (n={onset['n']})")
        rows.append(f"  {path:<16} {_pct(r['bilabial']):>13} ({_pct(r['bilabial_shifted'])}) "
                    f"{_pct(r['labiodental']):>10} ({_pct(r['labiodental_shifted'])}) {_pct(r['vowel_closed']):>15} "
                    f"{_pct(r['open_vowel_closed']):>16} {timing:>26}")
    return rows


def _interval_rows(paths: dict) -> list[str]:
    """Each path's 95% intervals of its four headline figures (bootstrap over sentences), a line each."""
    from mirrorface.eval.unseen_speech import MIN_SENTENCES

    def shown(pair: list[float] | None, unit: str = "%") -> str:
        if pair is None:
            return "—"
        return f"{pair[0]:.1%}-{pair[1]:.1%}" if unit == "%" else f"{pair[0]:.0f}-{pair[1]:.0f} ms"

    if not paths:
        return []
    first = next(iter(paths.values()))["intervals95"]
    rows = [f"  95% intervals, bootstrap over {first['sentences']} sentences (— : under "
            f"{MIN_SENTENCES} with anything to count):"]
    for path, r in paths.items():
        ci = r["intervals95"]
        rows.append(f"  {path:<16} bilabial {shown(ci['bilabial'])}, labiodental {shown(ci['labiodental'])}, "
                    f"vowel time shut {shown(ci['vowel_closed'])}, |onset| {shown(ci['onset_abs_ms'], 'ms')}")
    return rows


@app.command("articulation")
def articulation(
    face: str = typer.Option("lips10", help="The face to evaluate on (simulated)."),
    models: Path = typer.Option(None, help="Folder with vae/ and fat/ (default: the face's shipped models)."),
    sentences: int = typer.Option(26, help="How many of the held-out test sentences to speak."),
    paths: str = typer.Option("all", help="Comma-separated paths to measure: text/planned, text/commanded, "
                              "text/executed, phones/planned, learned/planned (all: every one)."),
    other_voices: str = typer.Option("installed", help="Voices of other synthesizers for the audio-only paths: "
                                     "comma-separated flite:awb, flite:rms, flite:slt, flite:kal16, festival:slt_hts; "
                                     "installed: those installed here; none."),
    quick: bool = typer.Option(False, help="Two sentences in one voice (smoke tests)."),
    seed: int = typer.Option(0, help="Seeds the simulated face."),
    out: Path | None = typer.Option(None, help="Also write the figures as JSON here."),
) -> None:
    """Lip closures, lip-teeth contact, false closures and closure timing on held-out speech:
    sentences and voices no model was trained on, the motion the face executed measured at 150 Hz."""
    from mirrorface.eval.unseen_speech import PATHS, SENTENCES, VOICES, evaluate_unseen
    from mirrorface.lipsync.speak import LipSyncModels
    from mirrorface.speech import synthesizers

    chosen = PATHS if paths == "all" else tuple(p.strip() for p in paths.split(",") if p.strip())
    unknown = [p for p in chosen if p not in PATHS]
    if unknown or not chosen:
        raise MirrorfaceError(f"unknown path {', '.join(unknown) or '(none)'}; choose from {', '.join(PATHS)}")
    if not 1 <= sentences <= len(SENTENCES):
        raise MirrorfaceError(f"--sentences must be within 1..{len(SENTENCES)}")
    spec = load_spec(face)
    lipsync_models = LipSyncModels.load(spec, models)
    if other_voices in ("installed", "none"):
        others = tuple(v for v in synthesizers.VOICES if other_voices == "installed" and synthesizers.available(v))
    else:
        others = tuple(v.strip() for v in other_voices.split(",") if v.strip())
        if bad := [v for v in others if v not in synthesizers.VOICES]:
            raise MirrorfaceError(f"unknown voice {', '.join(bad)}; choose from {', '.join(synthesizers.VOICES)}")
    texts, voices = (SENTENCES[:2], VOICES[:1]) if quick else (SENTENCES[:sentences], VOICES)
    with Progress(transient=True) as bar:
        task = bar.add_task("speaking, performing, measuring", total=len(texts) * (len(voices) + len(others)))
        report = evaluate_unseen(spec, lipsync_models, texts, voices, chosen, others, seed,
                                 progress=lambda k, n: bar.update(task, completed=k))
    typer.echo(f"{report['sentences']} held-out sentences x {len(voices)} held-out voices "
               f"({', '.join(report['voices'])}); lips shut below {report['closure_threshold_mm']} mm; "
               f"positions at {report['probe_rate_hz']:.0f} Hz; in brackets the same track "
               f"{report['control_shift_ms']} ms late (chance)")
    typer.echo("\n".join(_articulation_rows(report["paths"]) + _interval_rows(report["paths"])))
    if report["other_synthesizers"]:
        typer.echo(f"audio only, voices of other synthesizers ({', '.join(others)}), against their own segments:")
        typer.echo("\n".join(_articulation_rows(report["other_synthesizers"])[1:]
                              + _interval_rows(report["other_synthesizers"])))
    for voice, rows in report["per_voice"].items():
        if not rows:  # another synthesizer's voice when no audio-only path was asked for
            continue
        typer.echo(f"voice {voice}:")
        typer.echo("\n".join(_articulation_rows(rows)[1:] + _interval_rows(rows)))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))


app.command("coexpression")(coexpress.eval_coexpression)
