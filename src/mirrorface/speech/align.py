"""Forced alignment of English speech to its transcript with PocketSphinx.

`align(audio_16k, text)` returns a `Timeline[str]` of eSpeak NG phoneme mnemonics in integer ms
on the audio clock, the same symbols `speech.tts.synthesize` emits, so audio with a transcript
feeds the same articulation step as text-to-speech. PocketSphinx (CMU en-US acoustic model and
CMUdict, shipped in its wheel) works in ARPAbet at 100 frames/s; `ARPABET_TO_ESPEAK` maps its
phones, and silences and fillers become gaps in the timeline.

Alignment runs in two passes, as PocketSphinx 5 requires: a word-level pass (`set_align_text`,
an FSG search that may insert silences between words) and a phone-level pass (`set_alignment`)
constrained to those word boundaries.
"""

from __future__ import annotations

import re
import threading

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.timeline import Timed, Timeline

SAMPLE_RATE = 16000  # Hz: the en-US acoustic model's rate
FRAME_MS = 10  # PocketSphinx's frame shift (frate 100)
# Frame k analyses the 25.6 ms window starting at k * 10 ms, i.e. centred at k * 10 + 12.8 ms, so
# a phone whose first frame is k began between the centres of frames k - 1 and k: at k * 10 + 8.
# (Measured: without this, onsets came out 10-13 ms early against eSpeak on vowels and fricatives.)
FRAME_OFFSET_MS = 8

# CMU ARPAbet (stress-free, as in the acoustic model's phone set) -> eSpeak NG mnemonics for US
# English. eSpeak distinguishes more vowels than CMU (e.g. the schwa `@` and the strut vowel `V`
# are both CMU `AH`); where CMU merges, the stressed eSpeak vowel is used.
ARPABET_TO_ESPEAK: dict[str, str] = {
    # vowels
    "AA": "A:",  # father, spa (eSpeak en-us may say `0` for the lot vowel)
    "AE": "a",  # bat, cat
    "AH": "V",  # but (also the unstressed schwa `@`, which CMU does not tell apart)
    "AO": "O:",  # thought, ball
    "AW": "aU",  # how, brown
    "AY": "aI",  # my, five
    "EH": "E",  # bed
    "ER": "3:",  # bird (eSpeak's unstressed r-coloured schwa is `3`)
    "EY": "eI",  # day
    "IH": "I",  # bit
    "IY": "i:",  # beat
    "OW": "oU",  # go
    "OY": "OI",  # boy
    "UH": "U",  # book
    "UW": "u:",  # blue
    # consonants
    "B": "b", "CH": "tS", "D": "d", "DH": "D", "F": "f", "G": "g", "HH": "h", "JH": "dZ",
    "K": "k", "L": "l", "M": "m", "N": "n", "NG": "N", "P": "p", "R": "r", "S": "s", "SH": "S",
    "T": "t", "TH": "T", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "Z",
}
# Everything else PocketSphinx can emit (SIL, +NSN+, +SPN+, +BREATH+, ...) is silence or noise
# and is dropped, leaving a gap.

# Digital silence (exact zeros, as TTS and some editors produce) gives MFCC frames of log(0)
# energy that throw off cepstral mean normalisation and the silence model; a microphone never
# does this. A Gaussian floor 50 dB below the peak (fixed seed, so results are repeatable) makes
# such audio look recorded and is negligible in real recordings, whose own floor is about as high.
# Measured on `speech.accuracy.TUNING_SENTENCES` (no floor / -60 / -50 / -40 dB): recognition's
# speech/silence frame accuracy 0.80 / 0.97 / 0.98 / 0.97, its bilabial frame recall
# 0.13 / 0.40 / 0.49 / 0.64; alignment onset MAE 16-17 ms throughout, its bilabial recall
# 0.77 / 0.86 / 0.87 / 0.89. -40 dB would be audible hiss on quiet real recordings.
NOISE_FLOOR_DB = -50.0
# Silence added before and after the audio, so that speech starting or ending at the very first
# or last sample still has silence frames around it for the models and the CMN estimate.
PAD_MS = 300

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def to_espeak(phone: str) -> str | None:
    """The eSpeak mnemonic of a PocketSphinx phone, or None for silence and fillers."""
    return ARPABET_TO_ESPEAK.get(phone.upper())


def prepare_pcm(audio_16k: np.ndarray) -> bytes:
    """Mono float audio at 16 kHz -> padded, noise-floored 16-bit little-endian PCM bytes.

    The result starts `PAD_MS` ms before the audio (subtract it from PocketSphinx times).
    """
    audio = np.asarray(audio_16k, dtype=np.float64)
    if audio.ndim != 1:
        raise MirrorfaceError(f"expected mono audio of shape (samples,), got shape {audio.shape}")
    if len(audio) == 0:
        raise MirrorfaceError("the audio is empty: there is nothing to align or recognise")
    if not np.all(np.isfinite(audio)):
        raise MirrorfaceError("the audio contains NaN or infinite samples")
    peak = float(np.max(np.abs(audio)))
    if peak == 0.0:
        raise MirrorfaceError("the audio is silent (all samples are zero)")
    pad = np.zeros(PAD_MS * SAMPLE_RATE // 1000)
    padded = np.concatenate([pad, audio, pad])
    rng = np.random.default_rng(0)
    padded += peak * 10.0 ** (NOISE_FLOOR_DB / 20.0) * rng.standard_normal(len(padded))
    return (np.clip(padded, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def frames_to_timeline(entries, duration_ms: int) -> Timeline[str]:
    """(phone, start frame, n frames) triples (padded clock) -> eSpeak timeline clipped to the audio."""
    items: list[Timed[str]] = []
    for phone, start, n in entries:
        symbol = to_espeak(phone)
        if symbol is None:
            continue
        t0 = min(max((start * FRAME_MS + FRAME_OFFSET_MS) - PAD_MS, 0), duration_ms)
        t1 = min(max(((start + n) * FRAME_MS + FRAME_OFFSET_MS) - PAD_MS, 0), duration_ms)
        if items:
            t0 = max(t0, items[-1].end)
        if t1 > t0:
            items.append(Timed(int(t0), int(t1), symbol))
    return Timeline(items)


def transcript_words(text: str) -> list[str]:
    """Lower-case words of `text` as CMUdict spells them (letters, digits, inner apostrophes)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


_decoder = None
_lock = threading.Lock()  # the decoder is stateful; one alignment at a time


def _get_decoder():
    # Loading CMUdict takes ~0.4 s, so one decoder is kept and re-targeted per call.
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder

        # Beams much wider than the defaults (1e-48, wbeam 7e-29): with the defaults the word
        # pass loses the only path through the transcript on most eSpeak sentences longer than
        # two words ("final result does not match the grammar"); all three beams are needed.
        # bestpath is off, as in the PocketSphinx CLI's aligner (it can add a one-frame </s>
        # that the phone pass cannot fit).
        _decoder = Decoder(loglevel="FATAL", bestpath=False, beam=1e-100, pbeam=1e-100, wbeam=1e-100)
    return _decoder


def align(audio_16k: np.ndarray, text: str) -> Timeline[str]:
    """Force-align English `text` to mono 16 kHz float audio.

    Returns:
        Timeline of eSpeak phoneme mnemonics (ms from the first sample), in transcript order;
        silences between and inside words are gaps.
    Raises:
        MirrorfaceError: empty transcript, a word not in the pronunciation dictionary (named),
            empty or silent audio, or audio that cannot be matched to the transcript.
    """
    words = transcript_words(text or "")
    if not words:
        raise MirrorfaceError("the transcript is empty: there are no words to align")
    pcm = prepare_pcm(audio_16k)
    duration_ms = 1000 * len(audio_16k) // SAMPLE_RATE  # floor: never past the last sample
    with _lock:
        decoder = _get_decoder()
        unknown = [w for w in dict.fromkeys(words) if decoder.lookup_word(w) is None]
        if unknown:
            more = f" (and {len(unknown) - 1} more: {', '.join(unknown[1:4])})" if len(unknown) > 1 else ""
            raise MirrorfaceError(
                f"word not in the English pronunciation dictionary: {unknown[0]!r}{more}; spell it out "
                "as it sounds (numbers as words), or use phone recognition without a transcript"
            )
        decoder.set_align_text(" ".join(words))
        decode(decoder, pcm)
        if decoder.hyp() is None:
            raise MirrorfaceError(
                f"could not align the transcript to the audio ({len(words)} words, {duration_ms} ms): "
                "does the audio say this text?"
            )
        try:
            decoder.set_alignment()
        except RuntimeError:
            raise MirrorfaceError("could not align phones inside the words (audio too short?)") from None
        decode(decoder, pcm)
        alignment = decoder.get_alignment()
        entries = [(p.name, p.start, p.duration) for p in alignment.phones()] if alignment else []
    if not entries:
        raise MirrorfaceError("could not align phones inside the words (audio too short?)")
    return frames_to_timeline(entries, duration_ms)


def decode(decoder, pcm: bytes) -> None:
    """One utterance through a PocketSphinx decoder, from a clean feature state."""
    # The front end keeps noise and cepstral-mean estimates from the previous utterance, which
    # would make results depend on what was decoded before; reset them (costs ~0.1 ms).
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)  # full_utt: normalise cepstra over the whole utterance
    decoder.end_utt()
