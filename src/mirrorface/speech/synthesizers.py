"""Speech from synthesizers other than eSpeak NG, with their own segment timings.

Flite's voices awb, rms and slt are built from CMU ARCTIC recordings of real speakers (kal16 is
a diphone voice from another speaker), and
Festival's us-slt-hts is a statistical voice trained on one of them (its kal and ked are diphone
voices of two more speakers): they sound like people,
not like eSpeak's formant synthesis, which is what an audio-only path must generalise to. Both
report where every segment ends, so their timings are known exactly, as eSpeak's are:
- Flite: `flite -psdur` prints `phone:end_s` for each segment;
- Festival: a Scheme script walks the utterance's Segment relation (name, end).
Segments are CMU ARPAbet, mapped to eSpeak mnemonics with forced alignment's table, and put in
eSpeak's conventions so that everything downstream (`articulate`, `closure_intervals`) reads
them alike: pauses are gaps, and a voiceless stop (p, t, k) starts at its release burst, not at
its closure (its segment's silent start is left as a gap, which is where the lips shut).

One more Festival voice is a woman's, recorded in another language (`FOREIGN_VOICES`): Catalan
ona, an HTS voice as us-slt-hts is. It speaks its own language only; its phones (SAMPA-like) are
mapped to eSpeak-style mnemonics by `_FOREIGN_PHONES`, and the rest read as eSpeak's letters do
(`articulation_of`). The audio model validates on it (`audio_corpus.validation_corpus`): the
training speakers of English are men, and the held-out speaker slt is a woman.

Debian packages: `flite` (awb, rms, slt), `festival`, `festvox-us-slt-hts`, `festvox-kallpc16k`,
`festvox-kdlpc16k` and `festvox-ca-ona-hts`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.speech.align import to_espeak
from mirrorface.speech.tts import Speech
from mirrorface.timeline import Timed, Timeline

VOICES = ("flite:awb", "flite:rms", "flite:slt", "flite:kal16", "festival:slt_hts", "festival:kal", "festival:ked")
FOREIGN_VOICES = {"festival:ona": "ca"}  # voice -> the language it speaks
_FESTIVAL_VOICE = {"slt_hts": "cmu_us_slt_arctic_hts", "kal": "kal_diphone", "ked": "ked_diphone",
                   "ona": "upc_ca_ona_hts"}
# The foreign voice's phones whose eSpeak-style letters differ (the stress mark is dropped first):
# Catalan's schwa, trill and palatals.
_FOREIGN_PHONES = {"ax": "@", "rr": "r", "J": "n^", "L": "l^"}
_PAUSES = ("pau", "#", "_")  # Festival's silences, by voice
FESTIVAL_VOICES = Path("/usr/share/festival/voices")  # one folder per language, then per voice

_FESTIVAL_SCRIPT = """(voice_{voice})
(Parameter.set 'Duration_Stretch {stretch})
(set! utt (Utterance Text "{text}"))
(utt.synth utt)
(utt.save.wave utt "{wav}" 'riff)
(mapcar (lambda (s) (format t "%s:%f\\n" (item.name s) (item.feat s "end"))) (utt.relation.items utt 'Segment))
"""


def language(voice: str) -> str:
    """The language a voice speaks: English, or a foreign voice's own."""
    return FOREIGN_VOICES.get(voice, "en")


def _foreign_mnemonic(phone: str) -> str | None:
    """A foreign Festival voice's phone -> an eSpeak-style mnemonic, or None for a pause."""
    if phone in _PAUSES:
        return None
    base = phone[:-1] if phone.endswith("1") and len(phone) > 1 else phone  # "a1": stressed a
    return _FOREIGN_PHONES.get(base, base)


def available(voice: str) -> bool:
    """Whether the voice's synthesizer, and for Festival the voice itself, is installed here."""
    engine, name = voice.split(":")
    if shutil.which(engine) is None:
        return False
    return engine != "festival" or any(FESTIVAL_VOICES.glob(f"*/{_FESTIVAL_VOICE.get(name, name)}"))


def _segments(printed: str) -> list[tuple[str, float]]:
    """`phone:end_s` tokens (space or line separated) -> [(phone, end_s)]."""
    out = []
    for token in printed.split():
        phone, _, end = token.rpartition(":")
        try:
            out.append((phone, float(end)))
        except ValueError:
            continue  # anything else the program printed
    return out


VOICELESS_STOPS = ("p", "t", "k")
_HOP_MS = 5


def _release_ms(audio: np.ndarray, rate: int, start: int, end: int) -> int:
    """Where a voiceless stop's burst comes inside its segment [start, end) ms: the largest rise
    of the 5 ms RMS from one frame to the next (its silent closure comes before)."""
    hop = rate * _HOP_MS // 1000
    piece = audio[start * rate // 1000 : end * rate // 1000]
    frames = piece[: len(piece) // hop * hop].reshape(-1, hop)
    if len(frames) < 2:
        return start
    level = np.log(np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) + 1e-5)
    return start + _HOP_MS * (int(np.argmax(np.diff(level))) + 1)


def _timeline(segments: list[tuple[str, float]], audio: np.ndarray | None = None,
              rate: int | None = None, lang: str = "en") -> Timeline[str]:
    """Segments (ARPAbet for English, else a foreign voice's phones) ending at their times ->
    eSpeak mnemonics (ms), in eSpeak's conventions (pauses are gaps; with the audio, voiceless
    stops start at their release)."""
    out, start = [], 0
    for phone, end_s in segments:
        end = int(round(end_s * 1000))
        symbol = to_espeak(phone) if lang == "en" else _foreign_mnemonic(phone)
        if end > start and symbol is not None:
            begin = _release_ms(audio, rate, start, end) if audio is not None and symbol in VOICELESS_STOPS else start
            out.append(Timed(begin, end, symbol))
        start = max(start, end)
    return Timeline(out)


def synthesize_other(text: str, voice: str, stretch: float = 1.0, f0_hz: float | None = None) -> Speech:
    """`text` spoken by `voice` (one of VOICES, English; or of FOREIGN_VOICES, in its language),
    with its segment timeline.

    Every voice takes a duration stretch (>1: slower), Flite's also a mean pitch in Hz
    (training voicings); Festival's keep their own pitch.

    Raises:
        MirrorfaceError: an unknown voice, its synthesizer missing, or nothing spoken.
    """
    from mirrorface.speech.audio import load_audio

    if voice not in VOICES and voice not in FOREIGN_VOICES:
        raise MirrorfaceError(f"unknown voice {voice!r}; choose one of {', '.join([*VOICES, *FOREIGN_VOICES])}")
    if not available(voice):
        raise MirrorfaceError(f"{voice} is not installed (make .venv/.installed installs every voice's "
                              f"Debian package)")
    engine, name = voice.split(":")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        if engine == "flite":
            options = ["--setf", f"duration_stretch={stretch}"]
            if f0_hz is not None:
                options += ["--setf", f"int_f0_target_mean={f0_hz}"]
            run = subprocess.run(["flite", "-voice", name, *options, "-psdur", "-t", text, "-o", str(wav)],
                                 capture_output=True, text=True, check=False)
        else:
            script = Path(tmp) / "say.scm"
            clean = text.replace("\\", " ").replace('"', " ")
            script.write_text(_FESTIVAL_SCRIPT.format(voice=_FESTIVAL_VOICE[name], stretch=stretch, text=clean,
                                                      wav=wav),
                              encoding="latin-1", errors="replace")  # Festival reads bytes, as Latin-1
            run = subprocess.run(["festival", "-b", str(script)], capture_output=True, text=True, check=False)
        if run.returncode != 0 or not wav.exists():
            raise MirrorfaceError(f"{voice} could not speak {text!r}: {run.stderr.strip()[-200:]}")
        rate = 16000
        audio = load_audio(wav, sample_rate=rate)
    phonemes = _timeline(_segments(run.stdout), audio, rate, language(voice))
    if not len(phonemes) or not np.any(audio):
        raise MirrorfaceError(f"{voice} spoke nothing for {text!r}")
    return Speech(audio.astype(np.float32), rate, phonemes, language(voice))
