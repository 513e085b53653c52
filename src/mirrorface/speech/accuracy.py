"""How accurate is each audio-in path? Measured against eSpeak NG's own phoneme timings.

eSpeak reports exactly when it speaks each phoneme, so synthesised speech is audio with a known
phone-level truth. For held-out English sentences (`SENTENCES`; none is one of the lip-sync
paper's three test sentences, which stay unseen), each sentence is synthesised, resampled to
16 kHz, given `LEAD_MS` of silence on both sides, and run through:

- `align` (with the text): phone onset error in ms, after matching aligned phones to eSpeak's in
  order (consonants by symbol, vowels as one class), plus the frame scores below;
- `recognize_phones` (no text): frame-level viseme-class accuracy, i.e. at every 10 ms frame,
  does the recognised phone's mouth class (`_viseme_class`) equal the truth's;
- `voiced_intervals` (loudness only): frame-level speech/silence accuracy.

Part of the alignment error is a difference of convention, not of accuracy: eSpeak's event for a
stop (p, t, k, tS, ...) marks the release, its silent closure is counted in the phoneme before,
while the aligner starts the stop at the closure, when the lips or tongue actually close. Stops
therefore come out 30-50 ms "early" (see "onset_bias_ms"); vowels and fricatives within ~10 ms.

The parameters of those paths (language weight, envelope threshold, gap bridging) were chosen on
`TUNING_SENTENCES`, never on `SENTENCES`. Synthetic speech is clean and regular, so these are
best-case figures for the method, not a claim about arbitrary recordings.

Reproduce: `python -c "from mirrorface.speech.accuracy import evaluate_audio_paths as e; print(e())"`.
"""

from __future__ import annotations

import difflib
from collections import Counter

import numpy as np

from mirrorface.speech.align import SAMPLE_RATE, align
from mirrorface.speech.audio import resample
from mirrorface.speech.envelope import voiced_intervals
from mirrorface.speech.recognize import recognize_phones
from mirrorface.speech.tts import synthesize
from mirrorface.timeline import Timeline

FRAME_MS = 10  # scoring resolution, the recognisers' frame shift
LEAD_MS = 500  # silence before and after each synthesised sentence

# Held-out evaluation sentences: varied consonants (bilabials, labiodentals, affricates,
# fricatives), rounded and open vowels, questions and lists.
SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please bring me a cup of warm milk before bedtime.",
    "Bob bought a big blue bag at the market.",
    "Fresh fish and vegetables are sold every Friday morning.",
    "She sells sea shells by the sea shore.",
    "Where were you when the lights went out?",
    "Judge the value of each choice with care.",
    "A happy puppy chased the ball through the park.",
    "Thank you very much for the lovely evening.",
    "Open the window and let the cool air in.",
)
# Used only to choose parameters (recognize.LANGUAGE_WEIGHT, voiced_intervals' defaults).
TUNING_SENTENCES = (
    "How much wood would a woodchuck chuck.",
    "My father drove his car to the spa.",
    "The five boys ate pizza on the beach.",
    "Every morning I walk my dog around the lake.",
    "Can you pass me the salt and pepper please?",
    "Seven small birds sang in the maple tree.",
)

SILENCE = "silence"
# A deliberately small mouth-shape classification, for scoring only (the articulation tables
# elsewhere are richer). Keys are eSpeak mnemonics without stress marks; symbols not listed fall
# back on their first letter in `_viseme_class`.
_VISEME = {
    **dict.fromkeys(["p", "b", "m"], "bilabial"),
    **dict.fromkeys(["f", "v"], "labiodental"),
    # jaw low: the open front/back vowels and the diphthongs that start open
    **dict.fromkeys(["a", "aa", "a#", "A", "A:", "A@", "0", "aI", "aU", "aI@", "aU@"], "open vowel"),
    # lips rounded
    **dict.fromkeys(["O", "O:", "O2", "O@", "o", "o@", "oU", "OI", "u", "u:", "U", "U@"], "rounded vowel"),
}
_VOWEL_START = "aA0eEiIoOuUV3@"


def _strip(symbol: str) -> str:
    """An eSpeak mnemonic without stress and length marks (',%= and leading/trailing)."""
    return symbol.strip("'\",%=") or symbol


def _viseme_class(symbol: str | None) -> str:
    """Mouth class of an eSpeak mnemonic (None = silence): bilabial, labiodental, open vowel,
    rounded vowel, other vowel, other consonant, silence."""
    if symbol is None:
        return SILENCE
    s = _strip(symbol)
    if s in _VISEME:
        return _VISEME[s]
    return "other vowel" if s[0] in _VOWEL_START else "other consonant"


def _match_key(symbol: str) -> str:
    """What must agree for two phones to be matched: consonant identity, or just 'a vowel'."""
    s = _strip(symbol)
    if s[0] in _VOWEL_START:
        return "V"  # eSpeak and CMUdict often disagree on the vowel (e.g. `0` vs `A:`), not on its slot
    return s.rstrip("#-;0123456789") or s  # t#, t2, r- are allophones of t, r


def _frames(timeline: Timeline[str], duration_ms: int, label) -> list[str]:
    """`label` of what holds at the centre of each 10 ms frame (None in gaps)."""
    out = []
    for k in range(duration_ms // FRAME_MS):
        item = timeline.at(k * FRAME_MS + FRAME_MS // 2)
        out.append(label(item.value if item is not None else None))
    return out


def _speech_label(symbol: str | None) -> str:
    return SILENCE if symbol is None else "speech"


def match_onsets(truth: Timeline[str], test: Timeline[str]) -> list[tuple[int, int]]:
    """(truth onset, test onset) in ms for phones matched in order (longest common subsequence)."""
    a = [_match_key(x.value) for x in truth]
    b = [_match_key(x.value) for x in test]
    pairs = []
    for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for i in range(block.size):
            pairs.append((truth[block.a + i].start, test[block.b + i].start))
    return pairs


def onset_mae_ms(truth: Timeline[str], test: Timeline[str]) -> float:
    """Mean |onset difference| in ms over phones matched in order (nan if none match)."""
    pairs = match_onsets(truth, test)
    return float(np.mean([abs(x - y) for x, y in pairs])) if pairs else float("nan")


def _accuracy(truth: list[str], test: list[str]) -> float:
    return float(np.mean([x == y for x, y in zip(truth, test, strict=True)])) if truth else float("nan")


def _recall(truth: list[str], test: list[str], cls: str) -> float:
    hits = [y == cls for x, y in zip(truth, test, strict=True) if x == cls]
    return float(np.mean(hits)) if hits else float("nan")


def evaluate_audio_paths(n_sentences: int = 10, sentences: tuple[str, ...] | None = None,
                         voice: str | None = None) -> dict:
    """Score align, recognize and envelope against eSpeak's timings on held-out sentences.

    Args:
        n_sentences: how many of `sentences` to use (the first n).
        sentences: defaults to `SENTENCES`.
        voice: an eSpeak voice from `speech.tts.VOICES`, or None for the default en-us voice.
    Returns:
        dict with "sentences", "frames" (10 ms frames scored) and, per path, its scores:
        "align": onset MAE / median / 90th percentile in ms, fraction of eSpeak phones matched,
        per-sentence MAE, viseme-class, speech/silence and bilabial-recall frame scores;
        "recognize": the same frame scores; "envelope": speech/silence frame accuracy;
        "chance": the frame scores of always answering the most frequent class.
    """
    texts = tuple(sentences if sentences is not None else SENTENCES)[:n_sentences]
    if not texts:
        raise ValueError("no sentences to evaluate")
    errors: list[float] = []
    per_sentence: list[float] = []
    matched = total = 0
    frames: dict[str, list[str]] = {k: [] for k in ("truth_v", "truth_s", "align_v", "align_s", "rec_v", "rec_s",
                                                      "env_s")}
    for text in texts:
        speech = synthesize(text, "en", voice)
        # Silence around the sentence, as in any recording, so speech/silence scores mean
        # something (eSpeak's own output has almost none: its closures count as phonemes).
        pad = np.zeros(LEAD_MS * SAMPLE_RATE // 1000, np.float32)
        audio = np.concatenate([pad, resample(speech.audio, speech.sample_rate, SAMPLE_RATE), pad])
        duration = int(1000 * len(audio) / SAMPLE_RATE)
        truth = speech.phonemes.shifted(LEAD_MS)
        aligned = align(audio, text)
        recognised = recognize_phones(audio)
        voiced = voiced_intervals(audio, SAMPLE_RATE)

        pairs = match_onsets(truth, aligned)
        errors += [y - x for x, y in pairs]
        per_sentence.append(float(np.mean([abs(x - y) for x, y in pairs])) if pairs else float("nan"))
        matched, total = matched + len(pairs), total + len(truth)

        frames["truth_v"] += _frames(truth, duration, _viseme_class)
        frames["truth_s"] += _frames(truth, duration, _speech_label)
        frames["align_v"] += _frames(aligned, duration, _viseme_class)
        frames["align_s"] += _frames(aligned, duration, _speech_label)
        frames["rec_v"] += _frames(recognised, duration, _viseme_class)
        frames["rec_s"] += _frames(recognised, duration, _speech_label)
        frames["env_s"] += _frames(voiced, duration, _speech_label)

    tv, ts = frames["truth_v"], frames["truth_s"]

    def scores(prefix: str) -> dict:
        return {
            "viseme_accuracy": _accuracy(tv, frames[prefix + "_v"]),
            "speech_accuracy": _accuracy(ts, frames[prefix + "_s"]),
            "bilabial_recall": _recall(tv, frames[prefix + "_v"], "bilabial"),
        }

    err = np.asarray(errors, dtype=float)
    return {
        "sentences": len(texts),
        "frames": len(tv),
        "align": {
            "onset_mae_ms": float(np.abs(err).mean()),
            "onset_bias_ms": float(err.mean()),  # aligned minus eSpeak; < 0: aligned early
            "onset_median_ms": float(np.median(np.abs(err))),
            "onset_p90_ms": float(np.percentile(np.abs(err), 90)),
            "matched_fraction": matched / total,
            "per_sentence_mae_ms": per_sentence,
            **scores("align"),
        },
        "recognize": scores("rec"),
        "envelope": {"speech_accuracy": _accuracy(ts, frames["env_s"])},
        "chance": {
            "viseme_accuracy": Counter(tv).most_common(1)[0][1] / len(tv),
            "speech_accuracy": Counter(ts).most_common(1)[0][1] / len(ts),
        },
    }
