from collections import Counter

import pytest

from mirrorface.articulation.phonemes import REST, Viseme, articulation_of
from mirrorface.speech.inventory import SOUNDS, TABLES, inventory


@pytest.mark.parametrize("lang", sorted(TABLES))
def test_every_phoneme_espeak_can_emit_is_mapped(lang):
    sounds = [s for s, kind in inventory(TABLES[lang]).items() if kind in SOUNDS]
    assert len(sounds) > 60
    for symbol in sounds:
        articulation = articulation_of(symbol, lang)  # raises KeyError if unmapped
        assert articulation is not REST, symbol


@pytest.mark.parametrize("lang", sorted(TABLES))
def test_bilabial_stops_and_nasals_close_the_lips(lang):
    for symbol, kind in inventory(TABLES[lang]).items():
        if kind in SOUNDS and symbol[0] in "pbm" and not symbol.startswith(("pF", "p\\")):
            assert articulation_of(symbol, lang).viseme == Viseme.BILABIAL, symbol


def test_twelve_viseme_categories_all_used():
    used = Counter()
    for lang, table in TABLES.items():
        for symbol, kind in inventory(table).items():
            if kind in SOUNDS:
                used[articulation_of(symbol, lang).viseme] += 1
    assert len(Viseme) == 12
    assert set(used) == set(Viseme) - {Viseme.REST}


@pytest.mark.parametrize("symbol, viseme", [
    ("p", Viseme.BILABIAL), ("'A:", Viseme.OPEN_VOWEL), ("f", Viseme.LABIODENTAL), ("T", Viseme.DENTAL),
    ("tS", Viseme.POSTALVEOLAR), ("w", Viseme.POUT), ("r", Viseme.POUT), ("u:", Viseme.ROUND_VOWEL),
    (",i:", Viseme.SPREAD_VOWEL), ("s", Viseme.SIBILANT), ("k", Viseme.VELAR), ("_:", Viseme.REST),
])
def test_english_examples(symbol, viseme):
    assert articulation_of(symbol, "en").viseme == viseme


def test_english_r_pouts_but_spanish_r_does_not():
    assert articulation_of("r", "en").viseme == Viseme.POUT
    assert articulation_of("r", "es").viseme == Viseme.ALVEOLAR
