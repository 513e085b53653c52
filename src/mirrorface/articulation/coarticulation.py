"""Coarticulation by dominance functions (Cohen & Massaro, 1993), with anticipation.

Each phoneme asks for a target on every articulator, with a dominance that is flat over the
phoneme and decays exponentially outside it: slowly *before* it (anticipation: the lips start
shaping 80-300 ms before the sound, as human speakers do) and faster *after* it (carry-over).
At every frame an articulator takes the dominance-weighted mean of all targets, so a weak
articulator of one phoneme (the rounding of /t/) is taken over by its neighbours (the /u/ of
"two"), while a strong one (the closure of /p/) holds its own.

Blending alone can blur a brief closure, so bilabial closures are then imposed as a hard
constraint (closure.py): lips shut and jaw nearly closed inside each interval, with short
raised-cosine ramps, and every closure lasting at least one frame so that no frame sampling can
miss it. A 'b' between two open vowels is therefore never blended away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mirrorface.articulation.closure import closure_intervals
from mirrorface.articulation.phonemes import ARTICULATORS, REST, Viseme, articulation_of
from mirrorface.timeline import Timeline

A = {name: i for i, name in enumerate(ARTICULATORS)}
REST_WEIGHT = 0.6  # how firmly silence returns the mouth to rest
# Chosen so that a strongly shaped phoneme out of silence (the rounding of /u/) has covered 10% of
# its move exactly `anticipation_ms` before its sound: w e^-x / (w e^-x + REST_WEIGHT) = 0.1 with
# w = 8 gives x = ln(9 * 8 / 0.6) = 4.79.
ANTICIPATION_RATE = 4.79


@dataclass(frozen=True)
class CoarticulationParams:
    """Timing of the blend.

    Args:
        anticipation_ms: how far before a phoneme its shape starts to show: a strongly shaped
            phoneme after a pause has made 10% of its move this long before its sound (the
            anticipation lead; 80-300 ms in human speech).
        carryover_ms: the same after the phoneme.
        closure_ramp_ms: how long the lips take to close into and open out of a closure.
    """

    anticipation_ms: float = 150.0
    carryover_ms: float = 70.0
    closure_ramp_ms: float = 30.0


@dataclass
class Track:
    """Articulator values sampled at frame times on the audio clock."""

    fps: float
    times_ms: np.ndarray  # (F,) frame k is at k * 1000 / fps
    values: np.ndarray  # (F, len(ARTICULATORS)) in [0, 1]
    visemes: list[Viseme]  # (F,) the viseme of the phoneme sounding at each frame
    closures: Timeline[str]

    def __len__(self) -> int:
        return len(self.times_ms)

    def column(self, name: str) -> np.ndarray:
        return self.values[:, A[name]]


def _segments(phonemes: Timeline[str], duration_ms: float, lang: str | None):
    """Targets, weights and spans of every phoneme, with rest segments for silences."""
    starts, ends, targets, weights = [], [], [], []

    def add(start, end, articulation, scale=1.0):
        target, weight = articulation.as_arrays()
        starts.append(start)
        ends.append(end)
        targets.append(target)
        weights.append(weight * scale)

    cursor = -1000.0
    for ph in phonemes:
        if ph.start - cursor > 120:  # a pause long enough for the mouth to relax
            add(cursor, ph.start, REST, REST_WEIGHT)
        add(ph.start, ph.end, articulation_of(ph.value, lang))
        cursor = ph.end
    add(cursor, max(duration_ms, cursor) + 1000.0, REST, REST_WEIGHT)
    return np.array(starts), np.array(ends), np.array(targets), np.array(weights)


def _closure_mask(times: np.ndarray, closures: Timeline[str], fps: float, ramp_ms: float) -> np.ndarray:
    frame_ms = 1000.0 / fps
    mask = np.zeros_like(times)
    for c in closures:
        start, end = float(c.start), float(c.end)
        if end - start < frame_ms:  # at least one frame must fall inside every closure
            middle = (start + end) / 2
            start, end = middle - frame_ms / 2 - 0.5, middle + frame_ms / 2 + 0.5
        near = slice(*np.searchsorted(times, [start - ramp_ms, end + ramp_ms]))  # the ramps end there
        t = times[near]
        distance = np.maximum(start - t, t - end)  # <= 0 inside
        ramp = 0.5 * (1 + np.cos(np.pi * np.clip(distance / ramp_ms, 0, 1)))
        mask[near] = np.maximum(mask[near], np.where(distance <= 0, 1.0, ramp))
    return mask


def _blend(times: np.ndarray, starts: np.ndarray, ends: np.ndarray, targets: np.ndarray, weights: np.ndarray,
           params: CoarticulationParams, block: int = 256) -> np.ndarray:
    """Dominance-weighted targets at every frame: (F, len(ARTICULATORS)).

    A segment's dominance falls below 1e-16 of its weight 8 anticipation spans before it and 12
    carry-over spans after it, so each block of frames blends only the segments within that
    reach: time and memory grow linearly with the speech, not with frames x segments (a dense
    (F, S, P) array for 10,000 words would be 43 GiB).
    """
    reach_before, reach_after = 8.0 * params.anticipation_ms, 12.0 * params.carryover_ms
    values = np.empty((len(times), targets.shape[1]))
    for lo in range(0, len(times), block):
        t = times[lo : lo + block]
        near = slice(np.searchsorted(ends, t[0] - reach_after), np.searchsorted(starts, t[-1] + reach_before))
        # (f, s) distance outside each segment: before it (anticipation) or after it (carry-over).
        before = np.clip(starts[None, near] - t[:, None], 0, None)
        after = np.clip(t[:, None] - ends[None, near], 0, None)
        decay = np.exp(-ANTICIPATION_RATE * before / params.anticipation_ms - 3.0 * after / params.carryover_ms)
        dominance = decay[:, :, None] * weights[None, near, :]  # (f, s, P)
        values[lo : lo + block] = (np.einsum("fsp,sp->fp", dominance, targets[near])
                                   / np.maximum(dominance.sum(1), 1e-9))
    return values


def articulate(phonemes: Timeline[str], duration_ms: float, fps: float, lang: str | None = None,
               audio: np.ndarray | None = None, sample_rate: int | None = None,
               params: CoarticulationParams = CoarticulationParams()) -> Track:
    """Phoneme timeline -> articulator trajectories at `fps` over `duration_ms`."""
    n_frames = max(1, int(np.ceil(duration_ms * fps / 1000.0)))
    times = np.arange(n_frames) * 1000.0 / fps
    starts, ends, targets, weights = _segments(phonemes, duration_ms, lang)

    values = _blend(times, starts, ends, targets, weights, params)

    closures = closure_intervals(phonemes, lang, audio, sample_rate)
    shut = _closure_mask(times, closures, fps, params.closure_ramp_ms)
    values[:, A["lip_open"]] *= 1 - shut
    values[:, A["jaw"]] = (1 - shut) * values[:, A["jaw"]] + shut * np.minimum(values[:, A["jaw"]], 0.06)
    values[:, A["bilabial"]] = shut  # contact is all or nothing: it is the closure itself
    for name in ("upper_teeth", "lower_teeth", "labiodental"):
        values[:, A[name]] *= 1 - shut

    visemes = []
    for t in times:
        item = phonemes.at(t)
        visemes.append(articulation_of(item.value, lang).viseme if item else Viseme.REST)
    return Track(fps, times, np.clip(values, 0.0, 1.0), visemes, closures)


def anticipation_lead_ms(track: Track, onset_ms: float, articulator: str = "round",
                         fraction: float = 0.1) -> float:
    """How long before `onset_ms` an articulator has covered `fraction` of its move there.

    Measured from the value at the start of the track (rest) to the value at the onset.
    """
    column = track.column(articulator)
    start, at_onset = column[0], np.interp(onset_ms, track.times_ms, column)
    threshold = start + fraction * (at_onset - start)
    rising = np.sign(at_onset - start)
    crossed = np.flatnonzero(rising * (column - threshold) >= 0)
    if len(crossed) == 0:
        return 0.0
    return float(onset_ms - track.times_ms[crossed[0]])
