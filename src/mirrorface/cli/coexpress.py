"""`mirrorface coexpress`, `mirrorface train inverse|predictive`, `mirrorface eval coexpression`.

Examples:
    mirrorface coexpress --source synthetic --face emo26 --out coexpress.mp4
    mirrorface coexpress --source person.mp4 --mode mimic --out mimic.mp4
    mirrorface coexpress --source person.mp4 --smoothing off   # the camera's faces as they come (or 0.5,100)
    mirrorface coexpress --source webcam:0 --seconds 30 --out live.mp4
    mirrorface train inverse --out models/inverse          # records data/emo26-selfmodel first if missing
    mirrorface train predictive --out models/predictive
    mirrorface eval coexpression --out reports/coexpression/
The shipped checkpoints (src/mirrorface/checkpoints/inverse, predictive) are used by default.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import load_spec

# Extra self-model frames per half that `train inverse` records and trains on by default (the
# shipped model's; `selfmodel.record_more`): the paper's 800 a half are few for the lower face.
MORE_FRAMES = 9000

COLUMNS = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())


def _one_thread() -> None:
    import torch

    # These models are small: on two shared cores, torch's second thread costs more than it gives.
    torch.set_num_threads(1)


def coexpress(
    source: str = typer.Option("synthetic", help="synthetic | a video file | webcam:N"),
    face: str = typer.Option("emo26", help="A built-in face name or the path of a face.toml."),
    out: Path | None = typer.Option(None, help="Write the person and the robot side by side to this MP4."),
    mode: str = typer.Option("coexpress", help="coexpress (anticipate) | mimic (copy what the person shows now)."),
    seconds: float | None = typer.Option(None, help="How long to run (default: the whole source; 20 s for a webcam)."),
    rate: float = typer.Option(50.0, help="Loop rate in Hz: commands a second (each of the source's frames is "
                               "answered once, as it comes)."),
    k: float = typer.Option(None, help="The normalisation's scale K (default: the shipped calibration)."),
    smoothing: str = typer.Option("1,300", help="The One Euro smoother on the faces the robot shows of the person: "
                                  "'MIN_CUTOFF_HZ,BETA' (a still face's cutoff; how fast it opens as the face "
                                  "moves) or 'off'."),
    inverse: Path | None = typer.Option(None, help="Inverse model folder (default: the shipped one)."),
    predictive: Path | None = typer.Option(None, help="Predictive model folder (default: the shipped one)."),
    participants: int = typer.Option(2, help="Synthetic people (4 expressions each) for --source synthetic."),
    seed: int = typer.Option(0, help="Seeds the synthetic people and the simulated camera."),
) -> None:
    """Run the coexpression loop: a person (synthetic, video or webcam) in, the robot's face out."""

    from dataclasses import replace

    from mirrorface.coexpression import session
    from mirrorface.coexpression.loop import loop_rate
    from mirrorface.coexpression.show import draw_person, side_by_side
    from mirrorface.coexpression.sources import SyntheticSource, open_source
    from mirrorface.coexpression.timing import event_timings, summarize
    from mirrorface.data.video import VideoWriter
    from mirrorface.hardware.face import make_face

    if participants < 1:
        raise MirrorfaceError(f"--participants must be at least 1, got {participants}")
    if seconds is not None and seconds <= 0:
        raise MirrorfaceError(f"--seconds must be positive, got {seconds}")
    if out is not None and out.suffix.lower() != ".mp4":
        raise MirrorfaceError(f"--out must name an .mp4 file, got {out}")
    _one_thread()
    live = source.startswith("webcam:")
    config = session.loop_config(mode, rate, k, realtime=live, smoothing=session.smoothing_of(smoothing))
    spec = load_spec(face)
    person = open_source(source, participants=participants, seed=seed)
    config = replace(config, camera_fps=person.fps)  # the tracker and the smoother count the source's frames
    duration = seconds or (20.0 if live else person.duration)
    writer = None
    try:
        parts = session.load_parts(spec, inverse, predictive)
        with make_face(spec, seed=seed) as robot:
            loop = session.make_loop(robot, parts, config)
            if out is not None:
                writer = VideoWriter(out, rate, 512, 284)

            def show(tick) -> None:
                if writer is not None:
                    caption = f"{mode}  t={tick.time:5.2f}s  {tick.state}"
                    writer.write(side_by_side(draw_person(tick.landmarks), robot.read_frame(), caption,
                                              tick.activation is not None))
                bar.update(task, completed=round(tick.time * rate) + 1)

            with Progress(*COLUMNS, transient=True) as bar:
                task = bar.add_task(mode, total=int(duration * rate))
                ticks = loop.run(person, duration, on_tick=show)
    finally:
        person.close()
        if writer is not None:
            writer.close()
    speed = loop_rate(ticks)
    typer.echo(f"{len(ticks)} ticks at {rate:g} Hz; work {speed['work_ms_mean']:.1f} ms a tick (p99 "
               f"{speed['work_ms_p99']:.1f} ms; could answer up to {speed['max_rate_hz']:.0f} new frames a second); "
               f"missed deadlines "
               f"{speed['missed_deadline']}; peak activations {sum(t.activation is not None for t in ticks)}")
    if isinstance(person, SyntheticSource):
        rows = event_timings(ticks, person, parts.outputs, 1.0 / rate)
        s = summarize(rows)
        lead = ("none reached" if not s["reached"] else f"median {s['median_lead_s'] * 1000:+.0f} ms ahead of the apex")
        typer.echo(f"robot at 80% of its expression before the person's apex in {s['before_apex']:.0%} of "
                   f"{s['events']} expressions ({lead})")
    if out is not None:
        typer.echo(str(out))


def train_inverse(
    out: Path = typer.Option(..., help="Checkpoint folder (model.safetensors, config.json, train state)."),
    face: str = typer.Option("emo26", help="A built-in face name or the path of a face.toml."),
    data: Path | None = typer.Option(None, help="Self-model data folder (default data/<face>-selfmodel[-asymmetric]); "
                                     "recorded there first if incomplete."),
    frames: int = typer.Option(1000, help="Still frames per half-face set (the paper: 1,000)."),
    more_frames: int | None = typer.Option(None, help=f"Extra training frames per half, recorded under <data>/more "
                                           f"(default {MORE_FRAMES:,}, 0 with --quick; 0: the paper's sets only)."),
    steps: int | None = typer.Option(None, help="Optimiser steps (default 10,000)."),
    asymmetric: bool = typer.Option(False, help="Output every expression actuator, not the symmetric commands."),
    seed: int = typer.Option(0, help="Seeds the babbling, the camera noise, the weights and every batch."),
    quick: bool = typer.Option(False, help="A tiny model, few frames and steps (smoke tests)."),
    resume: bool = typer.Option(False, help="Continue the run saved in --out up to --steps."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite a checkpoint already in --out."),
) -> None:
    """Train the inverse model (landmarks -> commands) on the face's half-face babbling; print its L1 error."""
    from dataclasses import replace

    from mirrorface.coexpression import inverse as inv
    from mirrorface.coexpression.selfmodel import record_more, record_selfmodel, resting_landmarks, training_data
    from mirrorface.models.inverse import InverseConfig

    if frames < 10:
        raise MirrorfaceError(f"--frames must be at least 10, got {frames}")
    more_frames = (0 if quick else MORE_FRAMES) if more_frames is None else more_frames
    if more_frames < 0:
        raise MirrorfaceError(f"--more-frames must be 0 or more, got {more_frames}")
    if (out / "model.safetensors").exists() and not (resume or force):
        raise MirrorfaceError(f"{out} already holds a model: pass --resume to continue it or --force to replace it")
    _one_thread()
    spec = load_spec(face)
    if not (asymmetric or spec.symmetric):
        raise MirrorfaceError(f"face {spec.name!r} has no symmetric commands: train it with --asymmetric "
                              "(one output per expression actuator)")
    data = data or Path("data") / f"{spec.name}-selfmodel{'-asymmetric' if asymmetric else ''}"
    with Progress(*COLUMNS, transient=True) as bar:
        for root, n, record in ((data, frames, record_selfmodel), (data, more_frames, record_more)):
            task = bar.add_task("babbling", total=2 * n)
            record(spec, root, n, seed, not asymmetric,
                   lambda half, k, task=task, n=n: bar.update(task, completed=k + (n if half == "lower" else 0)))
    rest = resting_landmarks(spec, seed=seed)
    train, validation = training_data(spec, data, rest, not asymmetric, more_frames)
    config = replace(inv.DEFAULT_TRAIN, seed=seed, **({"steps": 40, "batch_size": 64} if quick else {}))
    if steps is not None:
        config = replace(config, steps=steps)
    model_config = InverseConfig(n_commands=len(train.outputs), symmetric=not asymmetric, face=spec.name,
                                 **({"hidden": 32} if quick else {}))
    with Progress(*COLUMNS, TextColumn("loss {task.fields[loss]}"), transient=True) as bar:
        task = bar.add_task("training", total=config.steps, loss="-")
        model, result = inv.train_inverse(
            train, out, config, model_config, resume=resume,
            progress=lambda step, total, loss: bar.update(task, completed=step, loss=f"{loss:.4f}"),
            meta={"data": str(data), "frames": frames, "more_frames": more_frames, "seed": seed})
    errors = inv.compare(inv.evaluate_inverse(model, train, inv.cross_product(validation),
                                                  train.outputs.from_face(spec.neutral), seed))["methods"]
    typer.echo(f"{out}: step {result['step']}, {result['parameters']} parameters, {result['seconds']:.0f} s")
    typer.echo("held-out joins, L1 per command: " + ", ".join(f"{m} {e['mean']:.3f}" for m, e in errors.items()))


def train_predictive(
    out: Path = typer.Option(..., help="Checkpoint folder (model.safetensors, config.json, train state)."),
    videos: Path | None = typer.Option(None, help="Train on a folder of real expression videos "
                                       "(<participant>/<clip>.mp4) instead of synthetic people."),
    steps: int | None = typer.Option(None, help="Optimiser steps (default 6000)."),
    seed: int = typer.Option(0, help="Picks the synthetic training population and seeds every batch."),
    quick: bool = typer.Option(False, help="A tiny model, population and run (smoke tests)."),
    resume: bool = typer.Option(False, help="Continue the run saved in --out up to --steps."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite a checkpoint already in --out."),
) -> None:
    """Train the predictive model (4 frames -> the coming expression); score it on 45 held-out people."""
    from dataclasses import replace

    from mirrorface.coexpression import predictive as pred

    if steps is not None and steps < 1:
        raise MirrorfaceError(f"--steps must be positive, got {steps}")
    if (out / "model.safetensors").exists() and not (resume or force):
        raise MirrorfaceError(f"{out} already holds a model: pass --resume to continue it or --force to replace it")
    clips = None
    if videos is not None:
        from mirrorface.coexpression.videos import read_folder

        clips = read_folder(videos)
    settings = replace(pred.QUICK if quick else pred.SHIPPED, seed=seed)
    if steps is not None:
        settings = replace(settings, steps=steps)
    with Progress(*COLUMNS, TextColumn("loss {task.fields[loss]}"), transient=True) as bar:
        task = bar.add_task("training", total=settings.steps, loss="-")
        result = pred.train_predictive(
            out, quick, seed, resume, settings=settings, videos=clips,
            progress=lambda step, total, loss: bar.update(task, completed=step, loss=f"{loss:.4f}"))
    typer.echo(f"{out}: step {result['step']}, {result['parameters']} parameters, {result['videos']} videos of "
               f"{result['participants']} people, {result['seconds']:.0f} s")
    if not quick:
        scores = pred.evaluate_predictive(result["model"])
        mae, tests = scores["mae"], scores["t_test"]
        typer.echo(f"{scores['videos']} held-out videos of {scores['participants']} people, landmark MAE: model "
                   f"{mae['model']['mean']:.5f}, mimicry {mae['mimicry']['mean']:.5f} (p {tests['mimicry']['p']:.1e}), "
                   f"random search {mae['random_search']['mean']:.5f} (p {tests['random_search']['p']:.1e})")


def eval_coexpression(
    out: Path = typer.Option(Path("reports/coexpression"), help="Report folder: report.md, report.json, figures/."),
    face: str = typer.Option("emo26", help="A built-in face name or the path of a face.toml."),
    data: Path | None = typer.Option(None, help="The inverse model's self-model data (default: where it was "
                                     "trained, data/<face>-selfmodel); recorded there first if missing."),
    inverse: Path | None = typer.Option(None, help="Inverse model folder (default: the shipped one)."),
    predictive: Path | None = typer.Option(None, help="Predictive model folder (default: the shipped one)."),
    k: float | None = typer.Option(None, help="The normalisation's scale K (default: the shipped calibration)."),
    cv_steps: int = typer.Option(1000, help="Training steps of each cross-validation fold's model."),
    quick: bool = typer.Option(False, help="Few people, frames and steps (smoke tests; the figures mean little)."),
    seed: int = typer.Option(0, help="Seeds the baselines, the cross-validation folds and the camera noise."),
) -> None:
    """Every coexpression figure: inverse model, predictive model, confusion matrix, loop timing."""
    from mirrorface.coexpression import session
    from mirrorface.coexpression.inverse import DEFAULT_CHECKPOINT
    from mirrorface.coexpression.normalize import DEFAULT_K
    from mirrorface.coexpression.report import build_report
    from mirrorface.training.folder import read_meta

    if cv_steps < 1:
        raise MirrorfaceError(f"--cv-steps must be positive, got {cv_steps}")
    _one_thread()
    spec = load_spec(face)
    parts = session.load_parts(spec, inverse, predictive)
    data = data or Path(read_meta(inverse or DEFAULT_CHECKPOINT).get("data", f"data/{spec.name}-selfmodel"))
    with Progress(TextColumn("{task.description}"), BarColumn(), transient=True) as bar:
        task = bar.add_task("measuring", total=None)
        report = build_report(out, spec, parts, data, DEFAULT_K if k is None else k, cv_steps=cv_steps, quick=quick,
                              seed=seed, progress=lambda label: bar.update(task, description=label))
    for name, result in report["inverse"].items():
        typer.echo(f"inverse model L1 per command ({name}): " +
                   ", ".join(f"{m} {s['mean']:.3f}" for m, s in result["methods"].items()))
    for name, source in report["sources"].items():
        p, a, t = source["predictive"], source["activation"]["model"], source["timing"]
        half, every = p["by_intensity"]["half (0.4-0.6)"], p["by_intensity"]["all"]
        c, m = t["coexpress"], t["mimic"]
        typer.echo(f"{name} people, predictive MAE on {p['videos']} videos: model {p['mae']['model']['mean']:.5f}, "
                   f"mimicry {p['mae']['mimicry']['mean']:.5f}, random search {p['mae']['random_search']['mean']:.5f}; "
                   f"model closer in {every['model_better']:.0%} (sign test p {every.get('sign_test_p', 1):.1e}), "
                   f"half-intensity {half['model_better']:.0%} of {half['videos']} "
                   f"(p {half.get('sign_test_p', 1):.1e})")
        typer.echo(f"{name} people, command activation: accuracy {a['accuracy']:.1%}, PPV {a['ppv']:.1%}; "
                   f"false activations on calm faces {source['false_activations']['per_minute']:.2f} a minute")
        typer.echo(f"{name} people, smiles ({c['events']}): there before the apex (own pose) coexpress "
                   f"{c['before_apex']:.0%} / mimic {m['before_apex']:.0%}; within 20% of the person's apex commands "
                   f"at the apex and at 80% before it: coexpress {c['both']:.0%} / mimic {m['both']:.0%} (the person's "
                   f"own face a frame before the apex is within 20% in {t['frame_before_within_20']:.0%})")
    failed = [name for name, ok in report["checks"].items() if not ok]
    typer.echo(f"checks: {len(report['checks']) - len(failed)}/{len(report['checks'])} hold"
               + (f" (not: {', '.join(failed)})" if failed else ""))
    typer.echo(f"{out / 'report.md'} ({report['seconds']:.0f} s)")
