"""Text to speech with eSpeak NG's C library (bundled by `espeakng-loader`).

The library reports, through its synthesis callback, a phoneme event for every phoneme it
speaks, with that phoneme's position in the audio in ms (espeak_Initialize option 1, event
type 7). The timeline is built from those events, not estimated: each phoneme starts at its
event and ends where the next event (phoneme or pause) starts, or where the audio ends.

eSpeak keeps global state, so calls are serialised with a lock.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirrorface.errors import MirrorfaceError
from mirrorface.timeline import Timed, Timeline

# The eleven languages of the lip-sync paper (Fig. 5) and the voices it compares.
LANGUAGES = {
    "en": "en-us", "fr": "fr", "ja": "ja", "ko": "ko", "es": "es", "it": "it", "de": "de",
    "ru": "ru", "zh": "cmn", "he": "he", "ar": "ar",
}
VOICES = {
    "english1": ("en-us", "f3", 165, 0),  # English female voice (Fig. 5 "English1")
    "english2": ("en", "grandpa", 150, -15),  # older male voice ("English2")
}
PAUSE = "_"  # eSpeak's pause phonemes ("_", "_:", "_!", ...) all start with this

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_EVENT_LIST_TERMINATED, _EVENT_END, _EVENT_MSG_TERMINATED, _EVENT_PHONEME = 0, 5, 6, 7
_CHARS_UTF8 = 1
_RATE, _PITCH = 1, 3


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
        ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))


@dataclass
class Speech:
    """Audio and its phoneme timeline (eSpeak phoneme mnemonics, ms)."""

    audio: np.ndarray  # (samples,) float32 in [-1, 1]
    sample_rate: int
    phonemes: Timeline[str]
    lang: str

    @property
    def duration_ms(self) -> int:
        return int(round(1000 * len(self.audio) / self.sample_rate))


class _ESpeak:
    """The process-wide library handle."""

    def __init__(self):
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT
        )
        if self.sample_rate <= 0:
            raise MirrorfaceError("eSpeak NG could not start (its data folder may be missing)")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, str]] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: C holds a raw pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _on_audio(self, wav, n, events) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.float32) / 32768.0)
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                self._events.append((event.audio_position, event.id.string.decode("ascii", "replace")))
            i += 1
        return 0

    def synthesize(self, text: str, voice: str, rate: int, pitch_shift: int) -> tuple[np.ndarray, list]:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise MirrorfaceError(
                f"unknown language {voice!r}: use one of {', '.join(LANGUAGES)} or an eSpeak NG "
                "language code such as pt or nl"
            )
        self.lib.espeak_SetParameter(_RATE, rate, 0)
        self.lib.espeak_SetParameter(_PITCH, 50 + pitch_shift, 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8") + b"\0"
        if self.lib.espeak_Synth(data, len(data), 0, 1, 0, _CHARS_UTF8, None, None) != 0:
            raise MirrorfaceError("eSpeak NG failed to synthesise the text")
        self.lib.espeak_Synchronize()
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)
        return audio, list(self._events)


def variants() -> tuple[str, ...]:
    """Every voice variant eSpeak NG ships ("+f1", "+klatt", ...), sorted."""
    import espeakng_loader

    folder = Path(espeakng_loader.__file__).parent / "espeak-ng-data" / "voices" / "!v"
    return tuple(sorted(f"+{p.name}" for p in folder.iterdir() if p.is_file()))


_engine: _ESpeak | None = None


def _get_engine() -> _ESpeak:
    global _engine
    if _engine is None:
        _engine = _ESpeak()
    return _engine


def resolve_voice(lang: str, voice: str | None) -> tuple[str, int, int]:
    """(eSpeak voice name, rate in words/min, pitch shift) for a language and optional voice."""
    if voice is not None:
        if voice.lower() not in VOICES:
            raise MirrorfaceError(f"unknown voice {voice!r}; voices are {', '.join(VOICES)}")
        base, variant, rate, pitch = VOICES[voice.lower()]
        return f"{base}+{variant}", rate, pitch
    return LANGUAGES.get(lang, lang), 165, 0  # other codes go to eSpeak NG as voice names


def synthesize(text: str, lang: str = "en", voice: str | None = None, *, variant: str = "",
               rate: int | None = None, pitch_shift: int = 0) -> Speech:
    """Speak `text` (UTF-8) in `lang`, or with one of the named VOICES.

    Args:
        variant: an eSpeak NG voice variant such as "+f2" or "+m3" (replaces the voice's own).
        rate: words per minute (default: the voice's).
        pitch_shift: added to the voice's pitch (eSpeak's 0-100 scale, 50 = normal).

    Raises:
        MirrorfaceError: empty text, unknown language or voice, or nothing spoken.
    """
    if not text or not text.strip():
        raise MirrorfaceError("the text is empty: there is nothing to say")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 reach Python as lone surrogates
        raise MirrorfaceError("the text is not valid UTF-8; save it in UTF-8 and try again") from None
    name, default_rate, pitch = resolve_voice(lang, voice)
    if variant:
        name = name.split("+")[0] + variant
    rate = default_rate if rate is None else rate
    pitch += pitch_shift
    engine = _get_engine()
    with engine.lock:
        audio, events = engine.synthesize(text, name, rate, pitch)
    duration = int(1000 * len(audio) / engine.sample_rate)
    items = []
    for k, (start, symbol) in enumerate(events):
        end = events[k + 1][0] if k + 1 < len(events) else duration
        start, end = min(start, duration), min(max(end, start), duration)
        # "(en)"-style events mark eSpeak switching language for a foreign word: not sounds.
        if not symbol.startswith((PAUSE, "(")) and symbol.strip() and end > start:
            items.append(Timed(start, end, symbol))
    if not items:
        raise MirrorfaceError(f"eSpeak NG spoke no phonemes for {text!r} in {lang!r}")
    return Speech(audio, engine.sample_rate, Timeline(items), lang)
