"""Phone recognition without a transcript: PocketSphinx allphone search (English).

`recognize_phones(audio_16k)` decodes mono 16 kHz audio with the en-US acoustic model and the
bundled phone trigram (`en-us-phone.lm.bin`) instead of words, and returns a `Timeline[str]` of
eSpeak NG mnemonics in ms (PocketSphinx frames are 10 ms), mapped with the same
`ARPABET_TO_ESPEAK` table as forced alignment; silences and fillers are gaps.

Expect a rough transcription: phone recognition with no lexicon is far less accurate than
alignment (see `speech.accuracy` for measured figures); it is meant for audio-only input where
the broad mouth shape (closed, open, rounded) matters more than the exact phone.
"""

from __future__ import annotations

import threading

import numpy as np

from mirrorface.speech.align import SAMPLE_RATE, decode, frames_to_timeline, prepare_pcm
from mirrorface.timeline import Timeline

# Language weight of the phone trigram. The default (6.5, meant for word LMs) lets the phone LM
# talk over the acoustics and misses short closures: on `speech.accuracy.TUNING_SENTENCES`,
# bilabial frame recall is 0.32 at 6.5 and 0.47-0.53 anywhere in 0.5-2.0, with viseme-class
# frame accuracy flat (0.68 +- 0.01) over the whole range.
LANGUAGE_WEIGHT = 2.0

_decoder = None
_lock = threading.Lock()


def _get_decoder():
    global _decoder
    if _decoder is None:
        from pocketsphinx import Config, Decoder, get_model_path

        # dict=None: the allphone search needs no word dictionary, and skipping CMUdict saves
        # ~0.3 s at start-up.
        config = Config(allphone=get_model_path("en-us/en-us-phone.lm.bin"), lm=None, dict=None,
                        lw=LANGUAGE_WEIGHT, loglevel="FATAL")
        _decoder = Decoder(config)
    return _decoder


def recognize_phones(audio_16k: np.ndarray) -> Timeline[str]:
    """Recognise the phones in mono 16 kHz float audio, without a transcript.

    Returns:
        Timeline of eSpeak phoneme mnemonics (ms from the first sample); silence is a gap.
    Raises:
        MirrorfaceError: empty, silent or non-finite audio.
    """
    pcm = prepare_pcm(audio_16k)
    duration_ms = 1000 * len(audio_16k) // SAMPLE_RATE  # floor: never past the last sample
    with _lock:
        decoder = _get_decoder()
        decode(decoder, pcm)
        # seg end_frame is inclusive
        entries = [(s.word, s.start_frame, s.end_frame + 1 - s.start_frame) for s in decoder.seg()]
    return frames_to_timeline(entries, duration_ms)
