"""Mouth cues in Rhubarb Lip Sync's formats, so animation tools that read Rhubarb can use ours.

Rhubarb's nine mouth shapes (its README): A closed (P, B, M); B slightly open, clenched teeth
(most consonants, EE); C open (EH, AE); D wide open (AA); E slightly rounded (AO, ER); F puckered
(UW, OW, W); G upper teeth on the lower lip (F, V); H tongue raised (L); X idle (silence).
Cues come from our articulation track, so closures and anticipation carry over: a frame shows
A whenever the lips are shut, and the shape is chosen from the articulators, not the phoneme.
"""

from __future__ import annotations

import json

from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.phonemes import Viseme
from mirrorface.timeline import Timed, Timeline


def shape_of(values, viseme: Viseme) -> str:
    """One frame's Rhubarb shape from its articulator values (see coarticulation.A)."""
    from mirrorface.articulation.coarticulation import A

    if values[A["bilabial"]] > 0.5:
        return "A"
    if viseme == Viseme.REST and values[A["lip_open"]] < 0.15:
        return "X"
    if values[A["labiodental"]] > 0.5:
        return "G"
    if values[A["round"]] > 0.7:
        return "F"
    if values[A["round"]] > 0.45:
        return "E"
    if viseme == Viseme.ALVEOLAR and values[A["lip_open"]] < 0.4:
        return "H" if values[A["upper_teeth"]] < 0.6 else "B"
    opening = values[A["lip_open"]]
    if opening > 0.6:
        return "D"
    if opening > 0.38:
        return "C"
    return "B"


def mouth_cues(track: Track) -> Timeline[str]:
    """Runs of equal shapes, in ms (Rhubarb's cues)."""
    frame_ms = 1000.0 / track.fps
    cues: list[Timed[str]] = []
    for k, (values, viseme) in enumerate(zip(track.values, track.visemes, strict=True)):
        shape = shape_of(values, viseme)
        start, end = round(k * frame_ms), round((k + 1) * frame_ms)
        if cues and cues[-1].value == shape:
            cues[-1] = Timed(cues[-1].start, end, shape)
        else:
            cues.append(Timed(start, end, shape))
    return Timeline(cues)


def to_json(cues: Timeline[str], sound_file: str = "") -> str:
    """Rhubarb's JSON export: metadata and mouthCues with start/end in seconds."""
    return json.dumps({
        "metadata": {"soundFile": sound_file, "duration": round(cues.end / 1000, 2)},
        "mouthCues": [{"start": round(c.start / 1000, 2), "end": round(c.end / 1000, 2), "value": c.value}
                      for c in cues],
    }, indent=2)


def to_tsv(cues: Timeline[str]) -> str:
    """Rhubarb's TSV export: one "start<TAB>shape" line per cue, then the end time with X."""
    lines = [f"{c.start / 1000:.2f}\t{c.value}" for c in cues]
    lines.append(f"{cues.end / 1000:.2f}\tX")
    return "\n".join(lines) + "\n"
