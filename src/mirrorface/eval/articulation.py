"""Articulation metrics on executed motion: lip closures, lip-teeth contact, timing, smoothness.

The instrument is the simulator's own ground-truth geometry (`Painter.mouth_of`: the lip
contours the skin forms at the measured actuator positions, in mm), not a camera estimate, so
these numbers say what the face really did, free of perception noise. Targets are measured the
same way on the mouth drawn from articulator values (`targets.mouth.mouth_from_articulation`).

Conventions: one fps throughout; frame k stands at k * 1000 / fps ms on the audio clock (see
`mirrorface.timeline`); intervals are (start_ms, end_ms) with the end exclusive.

Thresholds (each argued where it is defined):
- lips closed: centre gap below CLOSURE_THRESHOLD_MM = CLOSED_GAP_MM mm;
- lip-teeth contact: lower lip at least LABIODENTAL_OVERLAP_MM = 0.5 mm over the upper incisal
  edge with the lips parted;
- an interval counts when its criterion holds for at least HIT_FRACTION = half of its frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mirrorface.articulation.closure import closure_intervals
from mirrorface.articulation.coarticulation import Track
from mirrorface.articulation.phonemes import Viseme, articulation_of
from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.face.sim.skin import CENTRE, CLOSED_GAP_MM, UPPER_TEETH_EDGE, MouthShape
from mirrorface.targets.mouth import mouth_from_articulation
from mirrorface.timeline import Timeline

# Lips count as closed below a 1.0 mm centre gap. Why 1 mm:
# - it is about 4% of the ~26 mm gap of a wide-open "ah" (targets.mouth.MAX_GAP_MM): well clear
#   of any vowel (the narrowest, /u/, still asks for 3.2 mm in the target mouth);
# - it is under half the simulated face's resting gap (2.2 mm, lips slightly parted at neutral),
#   so a face that merely rests does not score closures;
# - lips in contact keep a hairline gap in the skin model (its soft contact leaves
#   0.5 * ln 2 = 0.35 mm at zero pressure, less when pressed), which sits safely below it;
# - at the lips the 256 x 256 camera resolves ~0.99 px per mm: a gap under 1 mm is under one
#   pixel, i.e. what the camera (and an observer at that distance) cannot see as open.
CLOSURE_THRESHOLD_MM = CLOSED_GAP_MM

# Lip-teeth contact (f, v): the lower lip's inner edge at least 0.5 mm above (over) the upper
# incisal edge (skin.UPPER_TEETH_EDGE) while the lips are parted (centre gap >= the closure
# threshold). The upper teeth sit right behind the lips, so a lower lip raised over their edge
# with the upper lip out of the way can only rest against them; with the lips shut it touches
# the upper lip instead (a bilabial). Why 0.5 mm: at rest the simulated lower lip sits 0.25 mm
# *below* the edge (0.01 mm below with the jaw fully shut), so a looser margin would call the
# resting mouth a contact; the target mouth's /f/ puts the lip 0.6-1.0 mm over the edge.
LABIODENTAL_OVERLAP_MM = 0.5

# An interval is hit when its criterion holds in at least half of its frames: closures last
# 30-100 ms (1-3 frames at 30 fps), and the executed lips legitimately take a frame to arrive or
# leave; requiring every frame would score servo lag, not articulation.
HIT_FRACTION = 0.5

KINDS = ("bilabial", "labiodental", "open_vowel", "vowel")
VOWEL_VISEMES = (Viseme.OPEN_VOWEL, Viseme.SPREAD_VOWEL, Viseme.ROUND_VOWEL)

# The chance control beside every hit rate: the same motion 500 ms late. Speech alternates open
# and closed every 200-300 ms, so a track that closes often "hits" closures at random; a real
# hit rate must stand well above its shifted one.
CONTROL_SHIFT_MS = 500

# A closure's onset is looked for from this long before its interval to its end: lips that shut
# more than 250 ms early belong to another event (a syllable earlier), not to this closure.
ONSET_SEARCH_MS = 250
MERGE_MS = 50


# -- geometry ------------------------------------------------------------------------------------

def lip_gap_mm(face: Painter, positions: np.ndarray) -> np.ndarray:
    """Opening between the inner lips at the mouth's centre (mm; ~0 when the lips touch).

    Measured on the simulator's ground-truth lip geometry at each row of measured actuator
    positions (what the servos reached, not what was commanded): this is the evaluation
    instrument, available on the simulated face only.

    Args:
        face: the simulated face (its skin model).
        positions: (F, n) measured actuator positions, e.g. `read_positions()` per frame.
    Returns:
        (F,) float gap in mm.
    """
    return np.array([face.mouth_of(p).centre_gap_mm() for p in np.atleast_2d(positions)])


def target_gap_mm(values: np.ndarray) -> np.ndarray:
    """The target mouth's opening (mm), measured exactly as `lip_gap_mm` measures the face.

    Args:
        values: (F, 9) articulator values (`Track.values`).
    Returns:
        (F,) float gap in mm (0 inside bilabial closures).
    """
    return np.array([mouth_from_articulation(v).centre_gap_mm() for v in np.atleast_2d(values)])


def _lip_on_teeth(mouth: MouthShape) -> bool:
    lower_edge = float(np.mean(mouth.lower_inner[CENTRE, 1]))  # y grows downwards
    over_teeth = lower_edge <= UPPER_TEETH_EDGE - LABIODENTAL_OVERLAP_MM
    return over_teeth and mouth.centre_gap_mm() >= CLOSURE_THRESHOLD_MM


def labiodental_contact(face: Painter, positions: np.ndarray) -> np.ndarray:
    """Whether the lower lip rests against the upper teeth (f, v), frame by frame.

    Contact: the lower lip's inner edge, averaged over the centre region, at least
    LABIODENTAL_OVERLAP_MM above the upper incisal edge, with the lips parted (centre gap at or
    above CLOSURE_THRESHOLD_MM). Ground-truth simulator geometry, as `lip_gap_mm`.

    Args:
        face: the simulated face.
        positions: (F, n) measured actuator positions.
    Returns:
        (F,) bool.
    """
    return np.array([_lip_on_teeth(face.mouth_of(p)) for p in np.atleast_2d(positions)], dtype=bool)


def target_labiodental_contact(values: np.ndarray) -> np.ndarray:
    """`labiodental_contact` of the target mouth drawn from (F, 9) articulator values."""
    return np.array([_lip_on_teeth(mouth_from_articulation(v)) for v in np.atleast_2d(values)], dtype=bool)


# -- where the events are ------------------------------------------------------------------------

def _runs(frames: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """Runs of True frames -> intervals in ms, frame k covering [k, k + 1) frame periods."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], frames.astype(np.int8), [0]])))
    ms = np.round(edges * 1000 / fps).astype(int).tolist()
    return list(zip(ms[::2], ms[1::2], strict=True))


def _minus(spans: list[tuple[int, int]], cuts: Timeline[str]) -> list[tuple[int, int]]:
    """Spans with the parts inside any cut removed (pieces that remain are kept separately)."""
    out = []
    for start, end in spans:
        pieces = [(start, end)]
        for c in cuts:
            pieces = [q for a, b in pieces for q in ((a, min(b, c.start)), (max(a, c.end), b)) if q[1] > q[0]]
        out.extend(pieces)
    return out


def intervals(source: Track | Timeline[str], kind: str, lang: str | None = None) -> list[tuple[int, int]]:
    """Where in time a class of articulatory events must happen, as (start_ms, end_ms) pairs.

    kinds:
      bilabial     lip closures of p, b, m (`articulation.closure.closure_intervals`: timed by
                   the closure, which for a voiceless stop starts before eSpeak's release event);
      labiodental  f, v (and the labiodental nasal): phonemes whose viseme is LABIODENTAL;
      open_vowel   vowels of the OPEN_VOWEL viseme (open, open-mid, schwa: every one asks for a
                   target gap of 8 mm or more), minus any part that overlaps a bilabial closure
                   (the lips may be shutting for the next /p/ there, correctly);
      vowel        every vowel (open, spread and round visemes), minus bilabial closures, as
                   open_vowel: the lips must be apart in all of them.

    Args:
        source: the phoneme timeline (`Speech.phonemes`, eSpeak mnemonics) or an articulation
            `Track`. From a phoneme timeline without audio, voiceless closures assume the
            typical 50 ms of silence; a Track carries closures timed from its audio, but its
            labiodental and vowel intervals are frame-quantised and adjacent phonemes of one
            class merge. Best: bilabial from the Track made with the audio, the other two kinds
            from the phonemes with their `lang`.
        kind: one of KINDS.
        lang: the language of the phonemes (eSpeak's own table classifies them); ignored for a
            Track.
    """
    if kind not in KINDS:
        raise MirrorfaceError(f"unknown interval kind {kind!r}; choose one of {', '.join(KINDS)}")
    closures = source.closures if isinstance(source, Track) else closure_intervals(source, lang)
    if kind == "bilabial":
        return [(c.start, c.end) for c in closures]
    visemes = {"labiodental": (Viseme.LABIODENTAL,), "open_vowel": (Viseme.OPEN_VOWEL,),
               "vowel": VOWEL_VISEMES}[kind]
    if isinstance(source, Track):
        spans = _runs(np.array([v in visemes for v in source.visemes]), source.fps)
    else:
        spans = [(p.start, p.end) for p in source if articulation_of(p.value, lang).viseme in visemes]
    return spans if kind == "labiodental" else _minus(spans, closures)


# -- rates over intervals ------------------------------------------------------------------------

def _frames_of(start_ms: float, end_ms: float, fps: float, n_frames: int) -> np.ndarray:
    """Frames k with start <= k * 1000 / fps < end; an interval shorter than a frame period
    that no frame falls in gets the frame nearest its middle (as coarticulation guarantees a
    closure at least one frame)."""
    first = int(np.ceil(start_ms * fps / 1000 - 1e-9))
    stop = int(np.ceil(end_ms * fps / 1000 - 1e-9))
    if stop <= first:
        first = int(round((start_ms + end_ms) / 2 * fps / 1000))
        stop = first + 1
    return np.arange(max(first, 0), min(stop, n_frames))


def _count(mask: np.ndarray, fps: float, spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """(intervals whose frames satisfy `mask` for at least HIT_FRACTION, intervals on the clip).

    Intervals with no frame on the clip (past its end) are not counted.
    """
    hits = n = 0
    for start, end in spans:
        frames = _frames_of(start, end, fps, len(mask))
        if len(frames):
            n += 1
            hits += bool(np.mean(mask[frames]) >= HIT_FRACTION)
    return hits, n


def _rate(hits: int, n: int) -> float | None:
    return hits / n if n else None  # no intervals: undefined (None, since JSON has no NaN)


def closure_hit_rate(gap_mm: np.ndarray, fps: float, spans: Sequence[tuple[int, int]],
                     threshold_mm: float = CLOSURE_THRESHOLD_MM) -> dict:
    """Bilabial closures the lips actually made: dict(hits, n, rate); rate None when n == 0.

    A closure interval is hit when the gap is below `threshold_mm` for at least half its frames.
    """
    hits, n = _count(np.asarray(gap_mm) < threshold_mm, fps, spans)
    return {"hits": hits, "n": n, "rate": _rate(hits, n)}


def labiodental_contact_rate(contact: np.ndarray, fps: float, spans: Sequence[tuple[int, int]]) -> dict:
    """f/v intervals with lip-teeth contact for at least half their frames: dict(hits, n, rate)."""
    hits, n = _count(np.asarray(contact, dtype=bool), fps, spans)
    return {"hits": hits, "n": n, "rate": _rate(hits, n)}


def false_closure_rate(gap_mm: np.ndarray, fps: float, open_vowel_spans: Sequence[tuple[int, int]],
                       threshold_mm: float = CLOSURE_THRESHOLD_MM) -> dict:
    """Open vowels during which the lips are shut for at least half the frames: dict(closed, n, rate).

    Lower is better; it catches a method that scores closures by keeping the mouth shut.
    """
    closed, n = _count(np.asarray(gap_mm) < threshold_mm, fps, open_vowel_spans)
    return {"closed": closed, "n": n, "rate": _rate(closed, n)}


def closed_time_fraction(gap_mm: np.ndarray, rate: float, spans: Sequence[tuple[int, int]],
                         threshold_mm: float = CLOSURE_THRESHOLD_MM) -> dict:
    """The share of the time inside `spans` during which the lips are shut: dict(closed_ms, ms, rate).

    Unlike `false_closure_rate` (which counts vowels shut for half their length) this weighs
    every sample: lips that shut through the first third of every vowel score a third, not zero.
    """
    closed = np.asarray(gap_mm) < threshold_mm
    frames = np.concatenate([_frames_of(a, b, rate, len(closed)) for a, b in spans] or [np.zeros(0, int)])
    n = len(frames)
    return {"closed_ms": float(closed[frames].sum() * 1000 / rate), "ms": float(n * 1000 / rate),
            "rate": float(closed[frames].mean()) if n else None}


def delayed(signal: np.ndarray, rate: float, ms: float = CONTROL_SHIFT_MS) -> np.ndarray:
    """The signal `ms` later, its first value held at the start (the chance control's track)."""
    signal = np.asarray(signal)
    k = min(int(round(ms * rate / 1000)), len(signal))
    return np.concatenate([np.repeat(signal[:1], k, axis=0), signal[: len(signal) - k]])


def closure_onsets_ms(gap_mm: np.ndarray, rate: float, spans: Sequence[tuple[int, int]],
                      threshold_mm: float = CLOSURE_THRESHOLD_MM,
                      search_ms: float = ONSET_SEARCH_MS) -> list[float | None]:
    """When the lips shut for each bilabial closure, relative to its start (ms; negative: early).

    Closures less than MERGE_MS apart are one closure (lips cannot part and shut again that
    fast: the /m p/ of "pumpkin"), so one onset is given per merged closure. Its closed run is
    the one that overlaps it most; lips shut since more than search_ms before read as search_ms
    early, the honest verdict on lips that stayed shut through the preceding vowel. None: the
    lips are never shut inside it.
    """
    closed = np.asarray(gap_mm) < threshold_mm
    runs = _runs(closed, rate)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < MERGE_MS:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[float | None] = []
    for start, end in merged:
        mine = [(a, b) for a, b in runs if b > start and a < end]  # shut at some point inside it
        if not mine:
            out.append(None)
            continue
        a, _ = max(mine, key=lambda r: min(r[1], end) - max(r[0], start))
        out.append(float(max(a, start - search_ms) - start))
    return out


# -- timing and smoothness -----------------------------------------------------------------------

def _ncc(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two equal-length signals (NaN when either is constant)."""
    x, y = x - x.mean(), y - y.mean()
    denom = np.sqrt((x @ x) * (y @ y))
    return float(x @ y / denom) if denom > 1e-12 else float("nan")


def lip_audio_offset_ms(opening: np.ndarray, reference: np.ndarray, fps: float, max_lag_ms: float = 250) -> float:
    """How late the lips move relative to the reference opening, in ms (negative: early).

    The lag maximising the normalised cross-correlation (Pearson, recomputed over each lag's
    overlap) of the executed opening with a reference opening derived from the phoneme
    timeline (e.g. `target_gap_mm` of the articulation track): opening(t) ~ reference(t - lag).
    The peak is refined to a fraction of a frame by a parabola through it and its neighbours.
    For scale: EBU R37 accepts sound up to 40 ms early and 60 ms late relative to the picture.
    Accuracy, measured on eSpeak sentences' target openings delayed by known sub-frame amounts
    (-100..100 ms) at 30 fps: within 1-6 ms (at most a fifth of a frame); bilabial closures carry
    detail faster than 30 fps can sample, which bounds any estimator working on frames.

    Args:
        opening, reference: (F,) signals at `fps` (the shorter length is used).
        max_lag_ms: the search range, +/-; capped at half the clip so that every lag compares at
            least half of it. A lag outside the range cannot be found: speech opens and closes
            at the syllable rate (every 200-300 ms), so the answer is then a secondary peak (a
            trajectory 500 ms late reads -233 ms at the default range; +523 ms with 600). Widen
            the range for large shifts such as the 0.5 s baseline.
    Returns:
        The lag in ms, or NaN when either signal is flat (no movement to time).
    """
    n = min(len(opening), len(reference))
    x, y = np.asarray(opening[:n], float), np.asarray(reference[:n], float)
    max_lag = min(int(np.floor(max_lag_ms * fps / 1000)), n // 2)
    lags = np.arange(-max_lag, max_lag + 1)
    r = np.array([_ncc(x[lag:], y[: n - lag]) if lag >= 0 else _ncc(x[: n + lag], y[-lag:]) for lag in lags])
    if not np.any(np.isfinite(r)):
        return float("nan")
    i = int(np.nanargmax(r))
    shift = 0.0
    if 0 < i < len(r) - 1 and np.all(np.isfinite(r[i - 1 : i + 2])):
        curvature = r[i - 1] - 2 * r[i] + r[i + 1]
        if curvature < 0:
            shift = 0.5 * (r[i - 1] - r[i + 1]) / curvature
    return float((lags[i] + shift) * 1000 / fps)


def mean_abs_jerk(positions: np.ndarray, fps: float) -> float:
    """Mean absolute jerk: third finite difference times fps^3 (units per s^3), mean over
    actuators and frames.

    Args:
        positions: (F, n) (or (F,)) positions or commands at `fps`, F >= 4.
    """
    positions = np.asarray(positions, float)
    if len(positions) < 4:
        raise MirrorfaceError(f"jerk needs at least 4 frames, got {len(positions)}")
    return float(np.mean(np.abs(np.diff(positions, n=3, axis=0))) * fps**3)


def stats(x: np.ndarray | Sequence[float]) -> dict:
    """dict(mean, sd, min, max, n) of the finite values (NaN skipped); sd is the sample SD
    (ddof=1; 0 for a single value). With no finite values, n is 0 and the rest None."""
    x = np.asarray(x, float).ravel()
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
    sd = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    return {"mean": float(np.mean(x)), "sd": sd, "min": float(np.min(x)), "max": float(np.max(x)), "n": len(x)}
