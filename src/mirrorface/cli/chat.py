"""`mirrorface chat`: talk with a chat model through the face; it speaks each reply live.

Examples:
    llama-server -m model.gguf --port 8080 &
    mirrorface chat --llm http://127.0.0.1:8080 --face lips10
    echo "Tell me a joke." | mirrorface chat --llm http://127.0.0.1:11434 --model llama3.2 --audio-out chat.wav
    mirrorface train inverse --face lips10 --asymmetric --out models/lips10-inverse
    mirrorface chat --llm http://127.0.0.1:8080 --camera webcam:0 --inverse models/lips10-inverse
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mirrorface.errors import MirrorfaceError


def chat(llm: str = typer.Option(..., "--llm", help="The chat server's URL (OpenAI-compatible: llama.cpp, Ollama, "
                                 "vLLM); its /v1/chat/completions is streamed."),
         model: str = typer.Option(None, "--model", help="The model name the server should use."),
         system: str = typer.Option("You are a friendly robot face. Answer in one to three short sentences.",
                                    "--system", help="The system prompt."),
         face: str = typer.Option("lips10", help="The face to speak with (its models must exist)."),
         models: Path = typer.Option(None, help="A folder with vae/ and fat/ (default: the face's shipped models)."),
         lang: str = typer.Option("en", "--lang", help="The language of the replies, for eSpeak NG."),
         voice: str = typer.Option(None, "--voice", help="english1 (female) or english2 (older male)."),
         audio_out: Path = typer.Option(None, "--audio-out", help="Write the spoken replies to this WAV instead "
                                        "of the sound card."),
         trajectory: Path = typer.Option(None, help="Record the commands sent, as .csv, as they are sent."),
         allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a chat server on another machine "
                                           "(by default only this machine's loopback)."),
         deadline_ms: float = typer.Option(None, "--deadline-ms", help="The watchdog's deadline (default: the "
                                           "face spec's safety.deadline_s)."),
         camera: str = typer.Option(None, "--camera", help="While you type, the face coexpresses with the person "
                                    "this shows: webcam:N, a video file or synthetic."),
         inverse: Path = typer.Option(None, "--inverse", help="With --camera: the face's inverse model folder "
                                      "(default: the shipped one, made for emo26)."),
         predictive: Path = typer.Option(None, "--predictive", help="With --camera: the predictive model folder "
                                         "(default: the shipped one)."),
         seed: int = typer.Option(0, help="Seeds the camera noise of the rendered frames.")) -> None:
    """Chat: each line you type goes to the chat model; the face speaks the streamed reply live."""
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.face import make_face
    from mirrorface.lipsync.chat import Conversation, TypedLines
    from mirrorface.lipsync.speak import LipSyncModels
    from mirrorface.runtime.audio import open_sink
    from mirrorface.runtime.record import SentLog
    from mirrorface.runtime.watchdog import Watchdog, deadline_s
    from mirrorface.speech.llm import completions_url
    from mirrorface.speech.tts import synthesize

    completions_url(llm, allow_remote)  # a bad URL (or deadline) is refused before anything starts
    deadline_s(deadline_ms)
    spec = load_spec(face)
    lipsync = LipSyncModels.load(spec, models)
    parts, person = _coexpression(spec, camera, inverse, predictive, seed)  # (None, None) without --camera
    conversation = Conversation(llm, model, system, lang, voice, allow_remote)
    rate = synthesize("a", lang, voice).sample_rate  # also refuses an unknown language or voice now
    log = SentLog(trajectory, spec.names) if trajectory is not None else None  # (a bad path before the sound opens)
    painter = Painter(spec, seed=seed)
    try:
        sink, note = open_sink(rate, audio_out, Path("chat.wav"))
        if note:
            typer.echo(note, err=True)
        with sink, make_face(spec, seed=seed) as robot, \
                Watchdog(robot, deadline_s(deadline_ms), on_sent=log) as watchdog:
            loop = None
            if parts is not None:
                from mirrorface.coexpression import session

                loop = session.make_loop(robot, parts, session.loop_config("coexpress", realtime=True,
                                                                           camera_fps=person.fps))
            lines = TypedLines(sys.stdin)
            while True:
                if loop is not None:  # the person talks (types): the face coexpresses with them meanwhile
                    loop.listen(person, lines.ready, watchdog, log)
                if (line := lines.next()) is None:
                    break
                text, run = conversation.reply(line, robot, sink, watchdog, painter, lipsync, log)
                if not text:
                    raise MirrorfaceError("the chat model sent an empty reply")
                typer.echo(f"robot: {text}")
                typer.echo(f"({run.chunks} chunks, {run.stats.sent} commands sent, {run.stats.dropped} dropped)",
                           err=True)
    finally:
        if log is not None:
            log.close()
        if person is not None:
            person.close()


def _coexpression(spec, camera: str | None, inverse: Path | None, predictive: Path | None, seed: int):
    """With --camera: the coexpression models for this face and the person's source; else (None, None)."""
    if camera is None:
        if inverse is not None or predictive is not None:
            raise MirrorfaceError("--inverse and --predictive need --camera")
        return None, None
    from mirrorface.coexpression import session
    from mirrorface.coexpression.sources import open_source

    parts = session.load_parts(spec, inverse, predictive)  # refuses another face's inverse model
    return parts, open_source(camera, seed=seed)
