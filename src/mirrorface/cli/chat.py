"""`mirrorface chat`: talk with a chat model through the face; it speaks each reply live.

Examples:
    llama-server -m model.gguf --port 8080 &
    mirrorface chat --llm http://127.0.0.1:8080 --face lips10
    echo "Tell me a joke." | mirrorface chat --llm http://127.0.0.1:11434 --model llama3.2 --audio-out chat.wav
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
         seed: int = typer.Option(0, help="Seeds the camera noise of the rendered frames.")) -> None:
    """Chat: each line you type goes to the chat model; the face speaks the streamed reply live."""
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.hardware.face import make_face
    from mirrorface.lipsync.chat import Conversation
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
    conversation = Conversation(llm, model, system, lang, voice, allow_remote)
    rate = synthesize("a", lang, voice).sample_rate  # also refuses an unknown language or voice now
    sink, note = open_sink(rate, audio_out, Path("chat.wav"))
    if note:
        typer.echo(note, err=True)
    log = SentLog(trajectory, spec.names) if trajectory is not None else None
    painter = Painter(spec, seed=seed)
    try:
        with sink, make_face(spec, seed=seed) as robot, \
                Watchdog(robot, deadline_s(deadline_ms), on_sent=log) as watchdog:
            for line in sys.stdin:
                if not line.strip():
                    continue
                text, run = conversation.reply(line.strip(), robot, sink, watchdog, painter, lipsync, log)
                if not text:
                    raise MirrorfaceError("the chat model sent an empty reply")
                typer.echo(f"robot: {text}")
                typer.echo(f"({run.chunks} chunks, {run.stats.sent} commands sent, {run.stats.dropped} dropped)",
                           err=True)
    finally:
        if log is not None:
            log.close()
