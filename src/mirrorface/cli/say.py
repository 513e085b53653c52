"""`mirrorface say`: speech in, the face speaking out — commands, a trajectory file and a video.

Examples:
    mirrorface say "My programming allows me to process data." --lang en --face lips10 --out say.mp4
    mirrorface say --audio speech.wav --text "hello there" --out say.mp4
    mirrorface say "Bonjour" --lang fr --trajectory bonjour.csv --no-video
    mirrorface say --test-sentence 1 --voice english1 --out sentence1.mp4
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from mirrorface.cli.speech import AUDIO, LANG, METHOD, TEXT, TRANSCRIPT, VOICE, _utterance
from mirrorface.errors import MirrorfaceError
from mirrorface.speech.corpus import TEST_SENTENCES


def write_trajectory(path: Path, commands: np.ndarray, names: list[str], fps: float) -> None:
    """Commands with their times: Parquet (.parquet) or CSV (.csv); one column per actuator."""
    columns = {"time_s": np.arange(len(commands)) / fps, **{n: commands[:, i] for i, n in enumerate(names)}}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(columns), path)
    elif path.suffix == ".csv":
        header = ",".join(columns)
        np.savetxt(path, np.column_stack(list(columns.values())), delimiter=",", header=header, comments="",
                   fmt="%.5f")
    else:
        raise MirrorfaceError(f"--trajectory must end in .parquet or .csv, got {path.name!r}")


def say(text: str = TEXT, transcript: str = TRANSCRIPT, lang: str = LANG, voice: str = VOICE, audio: Path = AUDIO,
        method: str = METHOD,
        face: str = typer.Option("lips10", help="The face to speak with (its models must exist)."),
        models: Path = typer.Option(None, help="A folder with vae/ and fat/ (default: the face's shipped models)."),
        out: Path = typer.Option(Path("say.mp4"), help="Side-by-side MP4 (target | robot) with the audio."),
        trajectory: Path = typer.Option(None, help="The commands sent (after the safety layer), .parquet or "
                                        ".csv (default: OUT with .parquet)."),
        video: bool = typer.Option(True, help="Write the MP4 (--no-video: commands only)."),
        test_sentence: int = typer.Option(None, help="Say the lip-sync paper's test sentence 1, 2 or 3."),
        seed: int = typer.Option(0, help="Seeds the camera noise of the rendered frames.")) -> None:
    """Say something: TTS (or your audio), target frames, VAE, FAT, executed on the face."""
    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.face import make_face
    from mirrorface.hardware.sim import SimFace
    from mirrorface.lipsync.execute import perform
    from mirrorface.lipsync.speak import LipSyncModels, plan_speech
    from mirrorface.media import write_mp4
    from mirrorface.targets.frames import speaking_frames

    spec = load_spec(face)
    lipsync = LipSyncModels.load(spec, models)
    if test_sentence is not None:
        if text is not None or transcript is not None or audio is not None:
            raise MirrorfaceError("--test-sentence says a built-in sentence: give no text or --audio with it")
        if test_sentence not in (1, 2, 3):
            raise MirrorfaceError(f"--test-sentence must be 1, 2 or 3, got {test_sentence}")
        text = TEST_SENTENCES[test_sentence - 1]
    utt = _utterance(text, transcript, lang, voice, audio, method)
    painter = SimFace(spec, seed=seed)
    plan = plan_speech(utt, painter, lipsync)
    fps = spec.camera.fps
    trajectory = trajectory or out.with_suffix(".parquet")
    if trajectory.suffix not in (".parquet", ".csv"):
        raise MirrorfaceError(f"--trajectory must end in .parquet or .csv, got {trajectory.name!r}")
    sent: list[np.ndarray] = []  # what the safety layer let through: the trajectory records the truth

    def performed(robot):
        for step in perform(robot, plan.commands, fps, capture=video):
            sent.append(step.sent)
            yield step

    try:
        with make_face(spec, seed=seed) as robot:
            steps = performed(robot)
            if video:
                pairs = zip(speaking_frames(painter, plan.track), steps, strict=True)
                frames = write_mp4(out, (np.concatenate([target, step.frame], axis=1) for target, step in pairs),
                                   fps, utt.audio, utt.sample_rate)
            else:
                frames = sum(1 for _ in steps)
    finally:  # also after a fault or Ctrl-C: the commands sent so far are kept
        write_trajectory(trajectory, np.array(sent).reshape(-1, spec.n), spec.names, fps)
    typer.echo(f"{trajectory}: {len(plan.commands)} commands at {fps:g} fps for {utt.duration_ms / 1000:.2f} s "
               f"of speech ({utt.method})" + (f"; {out}: {frames} frames, target | robot" if video else ""))
