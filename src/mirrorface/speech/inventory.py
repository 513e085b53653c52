"""Which phonemes eSpeak NG can emit per language, read from its own phoneme table (phontab).

phontab lists every phoneme table (one per language, inheriting from a parent table) with each
phoneme's mnemonic and type. The types say what kind of sound a phoneme is, so articulation
never has to guess a phoneme's manner from its name.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from functools import cache
from pathlib import Path


class Kind(IntEnum):
    """eSpeak NG phoneme types (phoneme.h)."""

    PAUSE = 0
    STRESS = 1  # stress or tone marks: not sounds
    VOWEL = 2
    LIQUID = 3
    STOP = 4  # voiceless plosive
    VSTOP = 5  # voiced plosive
    FRICATIVE = 6
    VFRICATIVE = 7
    NASAL = 8
    VIRTUAL = 9  # placeholders (length marks, conditions): not sounds


SOUNDS = {Kind.VOWEL, Kind.LIQUID, Kind.STOP, Kind.VSTOP, Kind.FRICATIVE, Kind.VFRICATIVE, Kind.NASAL}

# Phoneme table used by each of the lip-sync paper's languages (our language code -> table).
TABLES = {"en": "en-us", "fr": "fr", "ja": "ja", "ko": "ko", "es": "es", "it": "it", "de": "de",
          "ru": "ru", "zh": "cmn", "he": "he", "ar": "ar"}


@cache
def _tables() -> list[tuple[str, int, dict[str, Kind]]]:
    """(name, 1 + index of the table it includes or 0, phonemes) for every table, in file order."""
    import espeakng_loader

    data = (Path(espeakng_loader.get_data_path()) / "phontab").read_bytes()
    tables, pos = [], 4
    for _ in range(data[0]):
        count, includes = data[pos], data[pos + 1]
        name = data[pos + 4 : pos + 36].split(b"\0")[0].decode()
        pos += 36
        phonemes = {}
        for _ in range(count):
            mnemonic, _flags, _program, _code, kind = struct.unpack_from("<IIHBB", data, pos)
            pos += 16  # sizeof(PHONEME_TAB)
            symbol = struct.pack("<I", mnemonic).split(b"\0")[0].decode("latin-1")
            if symbol and kind <= Kind.VIRTUAL:
                phonemes[symbol] = Kind(kind)
        tables.append((name, includes, phonemes))
    return tables


@cache
def inventory(table: str) -> dict[str, Kind]:
    """Every phoneme a table can emit (its own and inherited), mnemonic -> kind."""
    tables = _tables()
    index = {name: i for i, (name, _, _) in enumerate(tables)}
    if table not in index:
        raise KeyError(f"eSpeak NG has no phoneme table {table!r}")
    chain, i = [], index[table]
    while True:  # as eSpeak's SetUpPhonemeTable: includes is 1 + the parent's index, 0 for none
        chain.append(tables[i][2])
        if tables[i][1] == 0:
            break
        i = tables[i][1] - 1
    merged: dict[str, Kind] = {}
    for phonemes in reversed(chain):  # the language's own table overrides what it includes
        merged.update(phonemes)
    return merged


def kind_of(symbol: str, lang: str | None) -> Kind | None:
    """The kind of a phoneme in a language's table, or None if unknown."""
    table = TABLES.get(lang or "", lang)
    try:
        return inventory(table).get(symbol) if table else None
    except KeyError:
        return None
