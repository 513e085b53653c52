"""Articulation on speech no model has heard: held-out sentences, held-out voices, executed motion.

`mirrorface eval articulation` runs this. Every sentence below was written for this test, dense
in bilabials and labiodentals; none is in any training corpus (`speech.audio_corpus`, the FAT's
and VAE's training sentences), in the paper's test sentences or word groups. The voices are eSpeak
NG variants that no training run uses (`audio_corpus.HELD_OUT_VARIANTS`).

Each utterance is measured along several paths, all against the same truth (the eSpeak phoneme
timeline of the text, closures timed from its audio):
  text/planned      the articulation track made from the text (the target mouth)
  text/commanded    the FAT's commands as poses (no servo dynamics): what the model asked for
  text/executed     the commands performed on the simulated face, positions read at PROBE_RATE
  phones/planned    audio only: PocketSphinx phone recognition -> track (English)
  learned/planned   audio only: the learned audio -> articulation model -> track
Every hit rate comes with its chance control: the same gap (or contact) track 500 ms late.
The audio-only paths are also measured on voices of other synthesizers (Flite, Festival:
`speech.synthesizers`), built from recordings of people, against their own segment timings:
the speaker slt (Flite's and Festival's) is held out of all training; awb, rms and kal16 are
training voices (on these sentences, which they never spoke in training).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mirrorface.articulation.sources import AUDIO_RATE, Utterance, track_of
from mirrorface.eval import articulation as art
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.sim import SimFace
from mirrorface.lipsync.speak import LipSyncModels, plan_speech

PROBE_RATE = 150.0  # Hz: executed positions are read 5 times per 30 fps frame (timing to 7 ms)

SENTENCES = (
    "Five brave men moved the heavy piano above the vault.",
    "Pam fixed a puff of fresh bread for every visitor.",
    "Very few people buy movies on film before February.",
    "My friend Phil brought a box of purple muffins.",
    "Beavers build vast dams from broken branches.",
    "Mom bought fifty maps before the flight to Vienna.",
    "Bring the blue vase from the upper porch, please.",
    "The famous violinist played a brief, fabulous piece.",
    "Maybe my brave puppy found the buried bone.",
    "Father forgot the plum pie in the van.",
    "Bill and Ben painted the fence a bright violet.",
    "A pair of pelicans flew above the pebble beach.",
    "Few fans ever visit the moving museum by the fountain.",
    "Mabel wove a fabric of velvet and pale fibre.",
    "Please move the five big boxes off the bumpy floor.",
    "Benjamin voted for the brave mayor of Boston.",
    "The vampire bat flapped above the empty barn.",
    "Mimi found a perfect feather in the muddy puddle.",
    "Victor mopped the fever ward before breakfast.",
    "A dove perched by the windmill above the marsh.",
    "Frank may fry plump fish for the hungry family.",
    "Poppy bumped her elbow on the heavy bamboo bench.",
    "Every morning Pablo jogs past five movie posters.",
    "The plumber fixed the valve beneath the bathroom floor.",
    "Vera baked a pumpkin pie for the village fair.",
    "Big waves beat upon the foggy pier at dawn.",
)

# (label, eSpeak variant, words per minute): variants absent from every training run, at rates
# the training's 140-200 wpm range covers from both ends.
VOICES = (("m6", "+m6", 175), ("f3", "+f3", 150))

PATHS = ("text/planned", "text/commanded", "text/executed", "phones/planned", "learned/planned")


def probe_motion(spec: FaceSpec, commands: np.ndarray, fps: float, rate: float = PROBE_RATE,
                 seed: int = 0) -> np.ndarray:
    """Perform commands (command k sent at k / fps) on a fresh simulated face from rest; its
    measured positions at `rate` (sample j at j / rate s), for timing finer than a camera frame.

    The face rests 0.3 s first, as `lipsync.execute.perform` does, so runs start alike.
    """
    per_frame = int(round(rate / fps))
    out = []
    with SimFace(spec, seed=seed) as face:
        face.go_neutral(0.3)
        for command in commands:
            face.send(command)
            for _ in range(per_frame):
                out.append(face.read_positions())
                face.advance(1.0 / rate)
    return np.array(out).reshape(-1, spec.n)


@dataclass
class Truth:
    """Where the events are in one utterance (ms), from its phonemes (eSpeak's, or another
    synthesizer's segments in eSpeak's conventions) and its audio."""

    bilabial: list[tuple[int, int]]
    labiodental: list[tuple[int, int]]
    vowel: list[tuple[int, int]]
    open_vowel: list[tuple[int, int]]

    @classmethod
    def of(cls, utt: Utterance) -> Truth:
        track = track_of(utt, PROBE_RATE)
        return cls(art.intervals(track, "bilabial"), art.intervals(utt.phonemes, "labiodental", utt.lang),
                   art.intervals(utt.phonemes, "vowel", utt.lang),
                   art.intervals(utt.phonemes, "open_vowel", utt.lang))


def measure(gap: np.ndarray, contact: np.ndarray, rate: float, truth: Truth) -> dict:
    """One utterance's raw counts on one path (pooled later by `pool`)."""
    late_gap, late_contact = art.delayed(gap, rate), art.delayed(contact, rate)
    return {
        "bilabial": art.closure_hit_rate(gap, rate, truth.bilabial),
        "bilabial_shifted": art.closure_hit_rate(late_gap, rate, truth.bilabial),
        "labiodental": art.labiodental_contact_rate(contact, rate, truth.labiodental),
        "labiodental_shifted": art.labiodental_contact_rate(late_contact, rate, truth.labiodental),
        "vowel_closed": art.closed_time_fraction(gap, rate, truth.vowel),
        "open_vowel_closed": art.closed_time_fraction(gap, rate, truth.open_vowel),
        "onsets_ms": art.closure_onsets_ms(gap, rate, truth.bilabial),
    }


def pool(rows: list[dict], sentences: list[int] | None = None) -> dict:
    """Utterances' counts -> rates over all of them (intervals and vowel time pooled); given each
    row's sentence, also the 95% intervals of the headline figures (`intervals95`)."""
    def rate(key: str, hit: str = "hits") -> dict:
        hits, n = sum(r[key][hit] for r in rows), sum(r[key]["n"] for r in rows)
        return {"hits": hits, "n": n, "rate": hits / n if n else None}

    def time(key: str) -> dict:
        closed, ms = sum(r[key]["closed_ms"] for r in rows), sum(r[key]["ms"] for r in rows)
        return {"closed_ms": closed, "ms": ms, "rate": closed / ms if ms else None}

    onsets = np.array([o for r in rows for o in r["onsets_ms"] if o is not None], float)
    timing = ({"median_ms": float(np.median(onsets)), "median_abs_ms": float(np.median(np.abs(onsets))),
               "mean_ms": float(np.mean(onsets)), "n": len(onsets)} if len(onsets)
              else {"median_ms": None, "median_abs_ms": None, "mean_ms": None, "n": 0})
    return {"bilabial": rate("bilabial"), "bilabial_shifted": rate("bilabial_shifted"),
            "labiodental": rate("labiodental"), "labiodental_shifted": rate("labiodental_shifted"),
            "vowel_closed": time("vowel_closed"), "open_vowel_closed": time("open_vowel_closed"),
            "onset": timing, "utterances": len(rows),
            **({"intervals95": intervals95(rows, sentences)} if sentences is not None else {})}


BOOTSTRAP_DRAWS = 2000
MIN_SENTENCES = 10  # fewer sentences with something to count give no interval: too few to resample


def intervals95(rows: list[dict], sentences: list[int], seed: int = 0) -> dict:
    """95% intervals of `pool`'s headline figures, by a bootstrap over sentences (percentile).

    Sentences, not closures or utterances, are resampled: one sentence's closures share its
    timing and its mouth, in every voice that speaks it, so they are not independent draws. The
    interval shows how far a figure would move on other sentences like these, e.g. whether 93.8%
    of closures hit is distinguishable from a 95% target.

    Args:
        rows: `measure`'s counts, one per utterance.
        sentences: the sentence each row speaks (rows of one sentence are resampled together).

    Returns:
        {"sentences": how many, "bilabial", "labiodental", "vowel_closed": [low, high] rates,
        "onset_abs_ms": [low, high] ms}. A figure is None where fewer than MIN_SENTENCES
        sentences have anything to count: a point printed as an interval would read as certainty.
    """
    groups = sorted(set(sentences))
    members = [[r for r, s in zip(rows, sentences, strict=True) if s == g] for g in groups]
    draws = np.random.default_rng(seed).integers(len(groups), size=(BOOTSTRAP_DRAWS, len(groups)))

    def ratio(key: str, top: str, bottom: str) -> list[float] | None:
        num = np.array([sum(r[key][top] for r in m) for m in members], float)
        den = np.array([sum(r[key][bottom] for r in m) for m in members], float)
        if np.count_nonzero(den) < MIN_SENTENCES:
            return None
        totals = den[draws].sum(1)  # a draw with nothing to count has no figure: dropped (as if redrawn)
        keep = totals > 0
        return np.percentile(num[draws].sum(1)[keep] / totals[keep], [2.5, 97.5]).round(4).tolist()

    def onset_abs() -> list[float] | None:  # the median of |onset| over the drawn sentences, as `pool`'s
        onsets = [np.abs(np.array([o for r in m for o in r["onsets_ms"] if o is not None], float)) for m in members]
        sizes = np.array([len(o) for o in onsets])
        if np.count_nonzero(sizes) < MIN_SENTENCES:
            return None
        medians = [np.median(np.concatenate([onsets[i] for i in d])) for d in draws if sizes[d].sum()]
        return np.percentile(medians, [2.5, 97.5]).round(4).tolist()

    return {"sentences": len(groups), "bilabial": ratio("bilabial", "hits", "n"),
            "labiodental": ratio("labiodental", "hits", "n"),
            "vowel_closed": ratio("vowel_closed", "closed_ms", "ms"), "onset_abs_ms": onset_abs()}


def _audio_only(utt: Utterance, method: str) -> Utterance:
    """The utterance's audio at 16 kHz with nothing else known, recognised by `method`."""
    from mirrorface.speech.audio import resample

    audio = resample(utt.audio, utt.sample_rate, AUDIO_RATE)
    if method == "phones":
        from mirrorface.speech.recognize import recognize_phones

        return Utterance(audio, AUDIO_RATE, utt.lang, recognize_phones(audio), "phones")
    return Utterance(audio, AUDIO_RATE, utt.lang, None, method)


def measure_paths(spec: FaceSpec, models: LipSyncModels, utt: Utterance, paths: tuple[str, ...],
                  seed: int = 0) -> dict[str, dict]:
    """Every requested path's counts for one utterance."""
    from mirrorface.face.sim.painter import Painter

    truth, fps, out = Truth.of(utt), spec.camera.fps, {}
    per_frame = int(round(PROBE_RATE / fps))
    painter = Painter(spec, seed=seed)
    if "text/planned" in paths:
        values = track_of(utt, PROBE_RATE).values
        out["text/planned"] = measure(art.target_gap_mm(values), art.target_labiodental_contact(values),
                                      PROBE_RATE, truth)
    if {"text/commanded", "text/executed"} & set(paths):
        commands = plan_speech(utt, painter, models).commands
        poses = {"text/commanded": np.repeat(commands, per_frame, axis=0)}  # each held for its frame
        if "text/executed" in paths:
            poses["text/executed"] = probe_motion(spec, commands, fps, seed=seed + 1)
        for path, positions in poses.items():
            if path in paths:
                out[path] = measure(art.lip_gap_mm(painter, positions), art.labiodental_contact(painter, positions),
                                    PROBE_RATE, truth)
    for method in ("phones", "learned"):
        if f"{method}/planned" in paths:
            values = track_of(_audio_only(utt, method), PROBE_RATE).values
            out[f"{method}/planned"] = measure(art.target_gap_mm(values), art.target_labiodental_contact(values),
                                               PROBE_RATE, truth)
    return out


AUDIO_PATHS = ("phones/planned", "learned/planned")  # what another synthesizer's voices can take


def evaluate_unseen(spec: FaceSpec, models: LipSyncModels, sentences: tuple[str, ...] = SENTENCES,
                    voices: tuple[tuple[str, str, int], ...] = VOICES, paths: tuple[str, ...] = PATHS,
                    other_voices: tuple[str, ...] = (), seed: int = 0,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """Pooled figures per path, over the eSpeak voices and per voice; `other_voices`
    (`speech.synthesizers.VOICES`) speak the same sentences for the audio-only paths."""
    from mirrorface.speech.synthesizers import synthesize_other
    from mirrorface.speech.tts import synthesize

    audio_paths = tuple(p for p in paths if p in AUDIO_PATHS)
    rows: dict[str, dict[str, list[dict]]] = {label: {p: [] for p in paths} for label, _, _ in voices}
    rows.update({label: {p: [] for p in audio_paths} for label in other_voices})
    total, done = len(sentences) * (len(voices) + len(other_voices)), 0
    for label, variant, wpm in [*voices, *((v, "", 0) for v in other_voices)]:
        for text in sentences:
            if label in other_voices:
                speech, chosen = synthesize_other(text, label), audio_paths
            else:
                speech, chosen = synthesize(text, "en", variant=variant, rate=wpm), paths
            utt = Utterance(speech.audio, speech.sample_rate, "en", speech.phonemes, "tts")
            for path, row in measure_paths(spec, models, utt, chosen, seed).items():
                rows[label][path].append(row)
            done += 1
            if progress is not None:
                progress(done, total)
    espeak = [label for label, _, _ in voices]

    def spoken(labels: list[str] | tuple[str, ...]) -> list[int]:  # each pooled row's sentence
        return list(range(len(sentences))) * len(labels)  # rows go voice by voice, sentence by sentence

    return {"sentences": len(sentences), "voices": espeak, "other_voices": list(other_voices),
            "probe_rate_hz": PROBE_RATE, "closure_threshold_mm": art.CLOSURE_THRESHOLD_MM,
            "control_shift_ms": art.CONTROL_SHIFT_MS,
            "paths": {p: pool([r for label in espeak for r in rows[label][p]], spoken(espeak)) for p in paths},
            "other_synthesizers": {p: pool([r for label in other_voices for r in rows[label][p]], spoken(other_voices))
                                   for p in audio_paths} if other_voices else {},
            "per_voice": {label: {p: pool(r, spoken([label])) for p, r in rows[label].items()} for label in rows}}
