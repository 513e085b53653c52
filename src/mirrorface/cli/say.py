"""`mirrorface say`: speech in, the face speaking out — commands, a trajectory file and a video.

Examples:
    mirrorface say "My programming allows me to process data." --lang en --face lips10 --out say.mp4
    mirrorface say --audio speech.wav --text "hello there" --out say.mp4
    mirrorface say "Bonjour" --lang fr --trajectory bonjour.csv --no-video
    mirrorface say --test-sentence 1 --voice english1 --out sentence1.mp4
    mirrorface say "Hello there, how are you?" --face lips10 --realtime            # live, aloud
    mirrorface say "Hello there" --realtime --audio-out hello.wav --trajectory sent.csv
    some-tts --wav | mirrorface say --audio - --realtime --lookahead-ms 200   # lips follow a stream
    mirrorface say --audio mic --realtime                                      # ... or the microphone
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from mirrorface.cli.speech import AUDIO, LANG, METHOD, TEXT, TRANSCRIPT, VOICE, _utterance
from mirrorface.errors import MirrorfaceError
from mirrorface.lipsync.execute import write_trajectory
from mirrorface.speech.corpus import TEST_SENTENCES

HOLD_S = 2.0  # --realtime: how long the face may rest waiting for a late chunk before it is a stall


def say(text: str = TEXT, transcript: str = TRANSCRIPT, lang: str = LANG, voice: str = VOICE, audio: Path = AUDIO,
        method: str = METHOD,
        face: str = typer.Option("lips10", help="The face to speak with (its models must exist)."),
        models: Path = typer.Option(None, help="A folder with vae/ and fat/ (default: the face's shipped models)."),
        out: Path = typer.Option(Path("say.mp4"), help="Side-by-side MP4 (target | robot) with the audio."),
        trajectory: Path = typer.Option(None, help="The commands sent (after the safety layer), .parquet or "
                                        ".csv (default: OUT with .parquet)."),
        video: bool = typer.Option(True, help="Write the MP4 (--no-video: commands only)."),
        test_sentence: int = typer.Option(None, help="Say the lip-sync paper's test sentence 1, 2 or 3."),
        seed: int = typer.Option(0, help="Seeds the camera noise of the rendered frames."),
        realtime: bool = typer.Option(False, "--realtime", help="Speak live: play the audio while the face "
                                      "performs in real time, planning clause by clause."),
        audio_out: Path = typer.Option(None, "--audio-out", help="With --realtime: write the sound to this WAV "
                                       "(paced as a sound card would play it) instead of the sound card."),
        lead_ms: float = typer.Option(0.0, "--lead-ms", help="With --realtime: send commands this much early, "
                                      "for servos slower than the simulator the models learned on."),
        deadline_ms: float = typer.Option(None, "--deadline-ms", help="With --realtime: the watchdog's deadline "
                                          "(default: the face spec's safety.deadline_s)."),
        lookahead_ms: float = typer.Option(200.0, "--lookahead-ms", help="With --realtime and --audio - (a WAV on "
                                           "standard input) or --audio mic: how far ahead of the sound the lips "
                                           "may look (and the sound is held back), 100-300.")) -> None:
    """Say something: TTS (or your audio), target frames, VAE, FAT, executed on the face."""
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.face import make_face
    from mirrorface.lipsync.execute import perform
    from mirrorface.lipsync.speak import LipSyncModels, plan_speech

    live_only = [flag for flag, given in (("--audio-out", audio_out is not None), ("--lead-ms", lead_ms != 0.0),
                                          ("--deadline-ms", deadline_ms is not None)) if given]
    if live_only and not realtime:
        raise MirrorfaceError(f"{', '.join(live_only)} apply to a live performance: add --realtime")
    if not 0.0 <= lead_ms <= 500.0:  # (NaN fails this too)
        raise MirrorfaceError(f"--lead-ms must be within 0..500, got {lead_ms:g}")
    spec = load_spec(face)
    lipsync = LipSyncModels.load(spec, models)
    if test_sentence is not None:
        if text is not None or transcript is not None or audio is not None:
            raise MirrorfaceError("--test-sentence says a built-in sentence: give no text or --audio with it")
        if test_sentence not in (1, 2, 3):
            raise MirrorfaceError(f"--test-sentence must be 1, 2 or 3, got {test_sentence}")
        text = TEST_SENTENCES[test_sentence - 1]
    painter = Painter(spec, seed=seed)
    if realtime:
        from mirrorface.lipsync.live import text_utterances

        if audio is None and text is None and transcript is None:
            raise MirrorfaceError("give the text to say, or --audio FILE")
        if audio is not None and str(audio) in ("-", "mic"):
            rate, chunks = _streamed(str(audio), painter, lipsync, lookahead_ms)
        else:
            import itertools

            from mirrorface.lipsync.live import plan_chunks

            utterances = ([_utterance(text, transcript, lang, voice, audio, method)] if audio is not None
                          else text_utterances(text if text is not None else transcript, lang, voice))
            chunks = plan_chunks(utterances, painter, lipsync)
            first = next(chunks, None)  # any bad input (an unknown language) before the sound and the face start
            if first is None:
                raise MirrorfaceError("the text is empty: there is nothing to say")
            rate, chunks = first.sample_rate, itertools.chain([first], chunks)
        _say_live(spec, rate, chunks, audio_out, trajectory, out, lead_ms, deadline_ms, seed)
        return
    utt = _utterance(text, transcript, lang, voice, audio, method)
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
                from mirrorface.media import write_mp4  # (PyAV: imported only when a video is written)
                from mirrorface.targets.frames import speaking_frames

                pairs = zip(speaking_frames(painter, plan.track), steps, strict=True)
                frames = write_mp4(out, (np.concatenate([target, step.frame], axis=1) for target, step in pairs),
                                   fps, utt.audio, utt.sample_rate)
            else:
                frames = sum(1 for _ in steps)
    finally:  # also after a fault or Ctrl-C: the commands sent so far are kept
        write_trajectory(trajectory, np.array(sent).reshape(-1, spec.n), spec.names, fps)
    typer.echo(f"{trajectory}: {len(plan.commands)} commands at {fps:g} fps for {utt.duration_ms / 1000:.2f} s "
               f"of speech ({utt.method})" + (f"; {out}: {frames} frames, target | robot" if video else ""))


def _streamed(source: str, painter, lipsync, lookahead_ms: float):
    """Chunks for sound arriving on standard input ("-") or from the microphone ("mic")."""
    import os
    import sys

    from mirrorface.lipsync.listen import listen_chunks
    from mirrorface.runtime.audio import microphone_blocks
    from mirrorface.speech.audio import wav_stream
    from mirrorface.speech.audio_model import load_audio_model

    if not 0 < lookahead_ms <= 1000:
        raise MirrorfaceError(f"--lookahead-ms must be within 0..1000 (lips lead sound by 80-300 ms), "
                              f"got {lookahead_ms:g}")
    # Only the header is read here: the planner process reads the sound (and opens the microphone),
    # from its own descriptor, since a forked multiprocessing child closes sys.stdin.
    if source == "-":
        rate, blocks = wav_stream(os.fdopen(os.dup(sys.stdin.fileno()), "rb"))
    else:
        rate, blocks = 16000, microphone_blocks(16000)
    return rate, listen_chunks(blocks, rate, painter, lipsync, load_audio_model(), lookahead_ms / 1000)


def _say_live(spec, sample_rate, chunks, audio_out, trajectory, out, lead_ms, deadline_ms, seed) -> None:
    """`say --realtime`: chunks planned as they play; the sent commands are logged as they go."""
    from mirrorface.hardware.face import make_face
    from mirrorface.lipsync.live import perform_live
    from mirrorface.runtime.audio import open_sink
    from mirrorface.runtime.record import SentLog
    from mirrorface.runtime.watchdog import Watchdog, deadline_s

    if trajectory is not None and trajectory.suffix != ".csv":
        raise MirrorfaceError(f"--realtime records the commands as they are sent: --trajectory must end in .csv, "
                              f"got {trajectory.name!r}")
    sink, note = open_sink(sample_rate, audio_out, out.with_suffix(".wav"))
    if note:
        typer.echo(note)
    log = SentLog(trajectory, spec.names) if trajectory is not None else None
    try:
        with sink, make_face(spec, seed=seed) as robot, \
                Watchdog(robot, deadline_s(deadline_ms), on_sent=log) as watchdog:
            run = perform_live(robot, chunks, sink, watchdog, lead_s=lead_ms / 1000, on_sent=log, hold_s=HOLD_S)
    finally:
        if log is not None:
            log.close()
    stats = run.stats.jitter_ms()
    typer.echo(f"spoke {run.heard_s:.2f} s in {run.chunks} chunks on {sink.description}: {stats['sent']} commands, "
               f"{stats['dropped']} dropped, send jitter median {stats['jitter_ms_median']:.2f} ms, "
               f"p99 {stats['jitter_ms_p99']:.2f} ms" + (f"; sent commands in {trajectory}" if log else ""))
