"""`mirrorface phonemes | target | cues`: the speech front end.

Examples:
    mirrorface phonemes "こんにちは" --lang ja
    mirrorface target "papa" --lang en --voice english1 --face lips10 --out target.mp4
    mirrorface target --audio speech.wav --text "hello there" --out target.mp4
    mirrorface cues "hello there" --format rhubarb-json --out cues.json
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mirrorface.errors import MirrorfaceError

TEXT = typer.Argument(None, help="What to say (UTF-8). Leave out with --audio.")
TRANSCRIPT = typer.Option(None, "--text", help="The text (also the transcript of --audio, for alignment).")
LANG = typer.Option("en", "--lang", help="Language: en fr ja ko es it de ru zh he ar (or an eSpeak NG code).")
VOICE = typer.Option(None, "--voice", help="english1 (female) or english2 (older male).")
AUDIO = typer.Option(None, "--audio", help="A WAV, FLAC or MP3 to use instead of text-to-speech.")
METHOD = typer.Option("auto", "--method", help="Audio without --text: auto | phones | learned | envelope.")
ANTICIPATION = typer.Option(150.0, "--anticipation-ms", help="How early the lips start shaping (80-300 ms).")


def _utterance(text, transcript, lang, voice, audio, method):
    from mirrorface.articulation.sources import from_audio, from_text

    if text is not None and transcript is not None:
        raise MirrorfaceError("give the text once: as an argument or with --text")
    text = text if text is not None else transcript
    if audio is not None:
        return from_audio(audio, text, method, lang)
    if text is None:
        raise MirrorfaceError("give the text to say, or --audio FILE")
    return from_text(text, lang, voice)


def phonemes(text: str = TEXT, transcript: str = TRANSCRIPT, lang: str = LANG, voice: str = VOICE, audio: Path = AUDIO,
             method: str = METHOD, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the phoneme timeline: start and end (ms), eSpeak phoneme, viseme."""
    from mirrorface.articulation.phonemes import articulation_of

    utt = _utterance(text, transcript, lang, voice, audio, method)
    if utt.phonemes is None:
        raise MirrorfaceError(f"--method {utt.method} gives articulation, not phonemes; use --method phones")
    rows = [(p.start, p.end, p.value, articulation_of(p.value, lang).viseme.value) for p in utt.phonemes]
    if as_json:
        typer.echo(json.dumps([dict(zip(("start_ms", "end_ms", "phoneme", "viseme"), r, strict=True))
                               for r in rows], ensure_ascii=False))
        return
    for start, end, symbol, viseme in rows:
        typer.echo(f"{start:6d} {end:6d}  {symbol:<6} {viseme}")


def target(text: str = TEXT, transcript: str = TRANSCRIPT, lang: str = LANG, voice: str = VOICE, audio: Path = AUDIO,
           method: str = METHOD, anticipation_ms: float = ANTICIPATION,
           face: str = typer.Option("lips10", help="The face to show the target mouth on."),
           neutral_frame: Path = typer.Option(None, help="A camera picture of a real robot at rest: warp it "
                                              "instead of rendering the simulated face."),
           out: Path = typer.Option(Path("target.mp4"), help="MP4 to write; the timelines go beside it."),
           seed: int = typer.Option(0, help="Seeds the camera noise of the rendered frames.")) -> None:
    """Synthesize the speaking target: the face's own frames with the target mouth, plus audio.

    Writes OUT (MP4 with audio) and OUT with .json: phonemes, closures and the articulation track.
    """
    from mirrorface.articulation.coarticulation import CoarticulationParams
    from mirrorface.articulation.sources import track_of, track_table
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.media import write_mp4
    from mirrorface.targets.frames import speaking_frames

    spec = load_spec(face)
    if not 80 <= anticipation_ms <= 300:
        raise MirrorfaceError("--anticipation-ms must be within 80..300 (human speech)")
    utt = _utterance(text, transcript, lang, voice, audio, method)
    track = track_of(utt, spec.camera.fps, CoarticulationParams(anticipation_ms=anticipation_ms))
    if neutral_frame is not None:
        from mirrorface.images import load_image
        from mirrorface.targets.real import RealFaceTargets

        pictures = RealFaceTargets(load_image(neutral_frame)).frames(track)
    else:
        pictures = speaking_frames(Painter(spec, seed=seed), track)
    frames = write_mp4(out, pictures, track.fps, utt.audio, utt.sample_rate)
    timeline = {"lang": utt.lang, "method": utt.method, "duration_ms": round(utt.duration_ms, 1),
                "phonemes": [{"start_ms": p.start, "end_ms": p.end, "phoneme": p.value}
                             for p in (utt.phonemes or [])],
                "articulation": track_table(track)}
    out.with_suffix(".json").write_text(json.dumps(timeline, ensure_ascii=False))
    typer.echo(f"{out}: {frames} frames at {track.fps:g} fps, {utt.duration_ms / 1000:.2f} s of audio "
               f"({utt.method}); timelines in {out.with_suffix('.json')}")


def cues(text: str = TEXT, transcript: str = TRANSCRIPT, lang: str = LANG, voice: str = VOICE, audio: Path = AUDIO,
         method: str = METHOD,
         fmt: str = typer.Option("rhubarb-json", "--format", help="rhubarb-json | rhubarb-tsv"),
         fps: float = typer.Option(100.0, help="Resolution of the cues (frames per second)."),
         out: Path | None = typer.Option(None, help="Write here instead of standard output.")) -> None:
    """Mouth cues in Rhubarb Lip Sync's JSON or TSV format (shapes A-H and X)."""
    from mirrorface.articulation.sources import track_of
    from mirrorface.export.rhubarb import mouth_cues, to_json, to_tsv

    if fmt not in ("rhubarb-json", "rhubarb-tsv"):
        raise MirrorfaceError(f"unknown --format {fmt!r}; choose rhubarb-json or rhubarb-tsv")
    if fps <= 0:
        raise MirrorfaceError("--fps must be positive")
    utt = _utterance(text, transcript, lang, voice, audio, method)
    shapes = mouth_cues(track_of(utt, fps))
    body = to_json(shapes, str(audio or "")) if fmt == "rhubarb-json" else to_tsv(shapes)
    if out is None:
        typer.echo(body, nl=False)
    else:
        out.write_text(body)
        typer.echo(str(out))


def target_suite(
    out: Path = typer.Option(Path("out/targets"), help="Folder for the videos and the contact sheet."),
    face: str = typer.Option("lips10", help="The face to show the target mouth on."),
) -> None:
    """Targets for all of the lip-sync paper's material: its 3 test sentences, 6 word groups, 11 languages.

    Also writes papa-sheet.png, a contact sheet of "papa" (two full closures).
    """
    from rich.progress import Progress

    from mirrorface.articulation.sources import from_text, track_of
    from mirrorface.face.sim.painter import Painter
    from mirrorface.face.spec import load_spec
    from mirrorface.images import grid, save_image
    from mirrorface.media import write_mp4
    from mirrorface.speech.corpus import MULTILINGUAL, TEST_SENTENCES, WORD_GROUPS
    from mirrorface.targets.frames import speaking_frames

    spec = load_spec(face)
    sim = Painter(spec, seed=0)
    jobs = [(f"sentence{k}", text, "en", None) for k, text in enumerate(TEST_SENTENCES, 1)]
    jobs += [(f"group{g}-{word}", word, "en", None) for g, words in WORD_GROUPS.items() for word in words]
    jobs += [(f"language-{label}", text, lang, voice) for label, lang, voice, text in MULTILINGUAL]
    with Progress(transient=True) as bar:
        task = bar.add_task("targets", total=len(jobs))
        for name, text, lang, voice in jobs:
            utt = from_text(text, lang, voice)
            write_mp4(out / f"{name}.mp4", speaking_frames(sim, track_of(utt, spec.camera.fps)),
                      spec.camera.fps, utt.audio, utt.sample_rate)
            bar.advance(task)
    papa = track_of(from_text("papa"), spec.camera.fps)
    h, w = spec.camera.height, spec.camera.width
    crops = [f[h // 2 : h * 7 // 8, w // 5 : w * 4 // 5] for f in speaking_frames(sim, papa)]
    save_image(out / "papa-sheet.png", grid(crops, 7))
    typer.echo(f"{out}: {len(jobs)} target videos and papa-sheet.png")
