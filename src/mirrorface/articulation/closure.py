"""When the lips must be shut: bilabial closure intervals, timed by the closure, not the event.

eSpeak NG's event for a voiceless plosive such as /p/ marks its *release*; the lips close in
the near-silence before it (about 40-60 ms in its English voices). A voiced /b/'s event marks
the start of its closure, and /m/ is closed for its whole length. With the audio at hand the
start of a voiceless closure is found where the sound fades before the release; without it, a
typical 50 ms is assumed.
"""

from __future__ import annotations

import numpy as np

from mirrorface.speech.inventory import Kind, kind_of
from mirrorface.timeline import Timed, Timeline

DEFAULT_SILENCE_MS = 50
MIN_SILENCE_MS, MAX_SILENCE_MS = 25, 100
RELEASE_MS = 8  # the lips part a few ms into the burst


def _bilabial_kind(symbol: str, lang: str | None) -> Kind | None:
    """STOP, VSTOP or NASAL for a bilabial plosive or nasal, else None."""
    base = symbol.strip().lstrip("',")
    if not base or base[0] not in "pbm" or base.startswith(("pF", "p\\")):  # affricate, fricative
        return None
    kind = kind_of(base, lang) if lang else None
    if kind is None:
        kind = {"p": Kind.STOP, "b": Kind.VSTOP, "m": Kind.NASAL}[base[0]]
    return kind if kind in (Kind.STOP, Kind.VSTOP, Kind.NASAL) else None


def _silence_before(t_ms: int, audio: np.ndarray, sample_rate: int) -> int:
    """How long the near-silence before a release at t_ms lasts (ms), from 5 ms RMS frames."""
    hop = sample_rate // 200
    end = int(t_ms * sample_rate / 1000)
    start = max(0, end - int(MAX_SILENCE_MS * 2 * sample_rate / 1000))
    frames = audio[start:end][: (end - start) // hop * hop].reshape(-1, hop)
    if len(frames) == 0:
        return DEFAULT_SILENCE_MS
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = rms > 0.2 * max(rms.max(), 1e-6)
    quiet = 0
    for is_loud in loud[::-1]:  # walk back from the release until the sound comes back
        if is_loud:
            break
        quiet += 1
    return int(np.clip(quiet * 5, MIN_SILENCE_MS, MAX_SILENCE_MS))


def closure_intervals(phonemes: Timeline[str], lang: str | None = None,
                      audio: np.ndarray | None = None, sample_rate: int | None = None) -> Timeline[str]:
    """The intervals (ms) in which the lips are shut, labelled with their phoneme."""
    out: list[Timed[str]] = []
    for ph in phonemes:
        kind = _bilabial_kind(ph.value, lang)
        if kind == Kind.STOP:
            silence = (_silence_before(ph.start, audio, sample_rate) if audio is not None
                       else DEFAULT_SILENCE_MS)
            start, end = ph.start - silence, ph.start + RELEASE_MS
        elif kind == Kind.VSTOP:
            start, end = ph.start, ph.start + max(30, int(0.7 * ph.duration))
        elif kind == Kind.NASAL:
            start, end = ph.start, ph.end
        else:
            continue
        start = max(start, out[-1].end if out else 0, 0)
        if end > start:
            out.append(Timed(start, end, ph.value))
    return Timeline(out)
