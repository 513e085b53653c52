"""eSpeak NG phoneme mnemonics -> articulatory targets and viseme categories.

eSpeak names phonemes in an ASCII scheme (Kirshenbaum-like): `p`, `tS`, `'A:`, `@`, `aI`, ...,
decorated with stress (`'`, `,`), length (`:`), and language-specific suffixes (`#`, `-`, `;`,
`^`, `\\`, digits). A phoneme is classified by its stripped base: first as a whole-symbol
consonant (`tS`, `dZ`, `ts`, `n^`), then by its first letter. Diphthongs (`aI`, `oU`) take their
first vowel; the coarticulation step glides towards the next phoneme anyway.

Articulators, all in [0, 1] (see ARTICULATORS):
  jaw          jaw opening
  lip_open     vertical opening between the lips
  round        lip rounding (a small, round opening)
  protrude     lips pushed forward
  spread       corners drawn back
  bilabial     lips pressed together (p, b, m): must reach 1, see closure.py
  labiodental  lower lip against the upper teeth (f, v)
  upper_teeth  upper teeth exposure
  lower_teeth  lower teeth exposure
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from mirrorface.speech.inventory import Kind, kind_of

ARTICULATORS = ("jaw", "lip_open", "round", "protrude", "spread", "bilabial", "labiodental",
                "upper_teeth", "lower_teeth")


class Viseme(Enum):
    """The lip-sync paper's 12 speech-relevant mouth categories (its Fig. 2), with an example."""

    REST = "rest"  # silence
    BILABIAL = "bilabial"  # p, b, m: lips closed
    LABIODENTAL = "labiodental"  # f, v: lower lip under the upper teeth
    DENTAL = "dental"  # th: tongue between the teeth
    ALVEOLAR = "alveolar"  # t, d, n, l, h: upper teeth showing
    SIBILANT = "sibilant"  # s, z: teeth close together, lips spread
    POSTALVEOLAR = "postalveolar"  # sh, ch, j: both teeth rows, lips pushed out
    VELAR = "velar"  # k, g, ng: open, relaxed
    POUT = "pout"  # w, r: pouted lips
    OPEN_VOWEL = "open_vowel"  # a in "father"
    SPREAD_VOWEL = "spread_vowel"  # ee, e
    ROUND_VOWEL = "round_vowel"  # oo, o


@dataclass(frozen=True)
class Articulation:
    """What one phoneme asks of the mouth."""

    viseme: Viseme
    target: tuple[float, ...]  # one value per ARTICULATORS entry
    weight: tuple[float, ...]  # dominance per articulator: how strongly it insists on its target

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.target), np.array(self.weight)


def _a(viseme: Viseme, strong: tuple[str, ...] = (), weak: tuple[str, ...] = (), **target: float):
    """Targets default to a relaxed mouth; `strong` articulators dominate, `weak` ones yield."""
    base = {"jaw": 0.2, "lip_open": 0.3, "round": 0.15, "protrude": 0.15, "spread": 0.3,
            "bilabial": 0.0, "labiodental": 0.0, "upper_teeth": 0.3, "lower_teeth": 0.15}
    base.update(target)
    weight = {name: 1.0 for name in ARTICULATORS}
    for name in strong:
        weight[name] = 8.0
    for name in weak:
        weight[name] = 0.15
    return Articulation(viseme, tuple(base[n] for n in ARTICULATORS), tuple(weight[n] for n in ARTICULATORS))


# Consonants by base symbol. Rounding and spreading of most consonants yield to the vowels
# around them ("weak"): that is what makes the lips round during the /t/ of "two".
_CONTEXT = ("round", "protrude", "spread")
BILABIAL = _a(Viseme.BILABIAL, ("bilabial", "lip_open", "jaw"), _CONTEXT,
              jaw=0.05, lip_open=0.0, bilabial=1.0, upper_teeth=0.0, lower_teeth=0.0)
LABIODENTAL = _a(Viseme.LABIODENTAL, ("labiodental", "lip_open", "upper_teeth"), _CONTEXT,
                 jaw=0.1, lip_open=0.12, labiodental=1.0, upper_teeth=0.7, lower_teeth=0.0)
DENTAL = _a(Viseme.DENTAL, ("upper_teeth", "lower_teeth"), _CONTEXT,
            jaw=0.18, lip_open=0.35, upper_teeth=0.6, lower_teeth=0.4)
ALVEOLAR = _a(Viseme.ALVEOLAR, ("upper_teeth",), _CONTEXT, jaw=0.15, lip_open=0.28, upper_teeth=0.55)
SIBILANT = _a(Viseme.SIBILANT, ("jaw", "upper_teeth", "lower_teeth"), ("round", "protrude"),
              jaw=0.06, lip_open=0.25, spread=0.5, upper_teeth=0.7, lower_teeth=0.5)
POSTALVEOLAR = _a(Viseme.POSTALVEOLAR, ("protrude", "round", "upper_teeth", "lower_teeth"), (),
                  jaw=0.1, lip_open=0.3, round=0.55, protrude=0.8, spread=0.0, upper_teeth=0.7,
                  lower_teeth=0.55)
VELAR = _a(Viseme.VELAR, (), _CONTEXT + ("jaw",), jaw=0.25, lip_open=0.3)
GLOTTAL = _a(Viseme.ALVEOLAR, (), _CONTEXT + ("jaw", "lip_open"), jaw=0.3, lip_open=0.35, upper_teeth=0.4)
POUT = _a(Viseme.POUT, ("round", "protrude"), (), jaw=0.12, lip_open=0.18, round=0.85, protrude=0.8,
          spread=0.0, upper_teeth=0.1)
PALATAL = _a(Viseme.SPREAD_VOWEL, ("spread",), ("round", "protrude"), jaw=0.12, lip_open=0.22, spread=0.6,
             upper_teeth=0.5, lower_teeth=0.3)

CONSONANTS: dict[str, Articulation] = {
    **dict.fromkeys(["p", "b", "m", "B", "F"], BILABIAL),  # B, F: bilabial fricatives (es, ja)
    **dict.fromkeys(["f", "v", "M"], LABIODENTAL),  # M: labiodental nasal
    **dict.fromkeys(["T", "D"], DENTAL),
    **dict.fromkeys(["t", "d", "n", "l", "L", "*", "4", "R", "r", "c", "J", "n^", "l^", "ts", "dz", "t_s"],
                    ALVEOLAR),
    **dict.fromkeys(["s", "z", "s2"], SIBILANT),
    **dict.fromkeys(["S", "Z", "tS", "dZ", "tS;", "dZ;", "s;", "z;", "S;", "Z;", "ts;", "dz;", "tC", "dJ", "C",
                     "c}", "ss", "tr", "dr"], POSTALVEOLAR),
    **dict.fromkeys(["k", "g", "N", "x", "G", "q", "Q", "X", "?", "K", "y1"], VELAR),
    **dict.fromkeys(["h", "H", "@h", "h#", "?#", "Hh", "hh"], GLOTTAL),
    **dict.fromkeys(["w", "W", "w#", "r#", "r-", "rr", "R2", "r/", "*r"], POUT),
    **dict.fromkeys(["j", "j#", "y#", "J^"], PALATAL),
}

OPEN = _a(Viseme.OPEN_VOWEL, ("jaw", "lip_open"), (), jaw=0.7, lip_open=0.75, spread=0.35,
          upper_teeth=0.35, lower_teeth=0.25)
MID = _a(Viseme.OPEN_VOWEL, ("jaw", "lip_open"), (), jaw=0.45, lip_open=0.55, spread=0.35,
         upper_teeth=0.35, lower_teeth=0.2)
SCHWA = _a(Viseme.OPEN_VOWEL, (), (), jaw=0.28, lip_open=0.4, spread=0.25, upper_teeth=0.3)
FRONT_MID = _a(Viseme.SPREAD_VOWEL, ("spread",), (), jaw=0.35, lip_open=0.45, spread=0.65, round=0.0,
               protrude=0.0, upper_teeth=0.5, lower_teeth=0.3)
FRONT_CLOSE = _a(Viseme.SPREAD_VOWEL, ("spread",), (), jaw=0.15, lip_open=0.25, spread=0.85, round=0.0,
                 protrude=0.0, upper_teeth=0.55, lower_teeth=0.35)
BACK_ROUND_MID = _a(Viseme.ROUND_VOWEL, ("round", "protrude"), (), jaw=0.38, lip_open=0.4, round=0.75,
                    protrude=0.6, spread=0.0, upper_teeth=0.15)
BACK_ROUND_CLOSE = _a(Viseme.ROUND_VOWEL, ("round", "protrude"), (), jaw=0.14, lip_open=0.2, round=0.95,
                      protrude=0.85, spread=0.0, upper_teeth=0.05)
FRONT_ROUND = _a(Viseme.ROUND_VOWEL, ("round",), (), jaw=0.16, lip_open=0.22, round=0.8, protrude=0.6,
                 spread=0.1, upper_teeth=0.2)
BACK_UNROUND = _a(Viseme.OPEN_VOWEL, ("jaw",), (), jaw=0.4, lip_open=0.45, spread=0.3, upper_teeth=0.35)

# Vowels by first letter of the base.
VOWELS: dict[str, Articulation] = {
    "a": OPEN, "A": OPEN, "&": OPEN, "0": BACK_ROUND_MID, "V": MID, "@": SCHWA, "3": SCHWA,
    "e": FRONT_MID, "E": FRONT_MID, "i": FRONT_CLOSE, "I": FRONT_CLOSE,
    "o": BACK_ROUND_MID, "O": BACK_ROUND_MID, "u": BACK_ROUND_CLOSE, "U": BACK_ROUND_CLOSE,
    "y": FRONT_ROUND, "Y": FRONT_ROUND, "W": FRONT_ROUND, "Q": BACK_ROUND_MID,
    "M": BACK_UNROUND, "7": BACK_UNROUND, "8": SCHWA, "1": SCHWA, "2": FRONT_ROUND, "9": FRONT_ROUND,
    "6": SCHWA, "x": BACK_UNROUND,
}

REST = _a(Viseme.REST, (), (), jaw=0.03, lip_open=0.05, round=0.1, protrude=0.1, spread=0.2,
          upper_teeth=0.0, lower_teeth=0.0)

_DECORATION = "'," + ':"%=!_#'
_CONSONANT_KINDS = {Kind.LIQUID, Kind.STOP, Kind.VSTOP, Kind.FRICATIVE, Kind.VFRICATIVE, Kind.NASAL}
# A consonant whose letters name no known place gets one from its manner.
_BY_MANNER = {Kind.LIQUID: ALVEOLAR, Kind.STOP: VELAR, Kind.VSTOP: VELAR, Kind.FRICATIVE: GLOTTAL,
              Kind.VFRICATIVE: GLOTTAL, Kind.NASAL: ALVEOLAR}


def base_symbol(mnemonic: str) -> str:
    """Strip stress, length and pause marks: "'A:" -> "A:"-less "A", ",i:" -> "i"."""
    return mnemonic.strip().strip(_DECORATION)


def _consonant(base: str) -> Articulation | None:
    for size in (len(base), 3, 2, 1):  # the whole symbol, then ever shorter prefixes (tS;h -> tS;)
        if base[:size] in CONSONANTS:
            return CONSONANTS[base[:size]]
    return None


def _vowel(base: str) -> Articulation | None:
    for char in base:  # iotated vowels (ja, ju) and glides (ua, iA) take their first vowel letter
        if char in VOWELS and char not in "jw":
            return VOWELS[char]
    return None


# English /r/ is made with pouted lips (the paper's "pouting shape for /w/ and /r/"); the
# trills and taps of other languages are made with the tongue alone.
LANGUAGE_OVERRIDES: dict[str, dict[str, Articulation]] = {"en": dict.fromkeys(["r", "r/", "r-"], POUT)}


def articulation_of(mnemonic: str, lang: str | None = None) -> Articulation:
    """The articulation of any phoneme eSpeak NG emits.

    With `lang`, the phoneme's kind (vowel, stop, nasal, ...) comes from eSpeak's own phoneme
    table; without it (e.g. phones mapped from PocketSphinx), from its letters.

    Raises:
        KeyError: a symbol no rule covers.
    """
    base = base_symbol(mnemonic)
    override = LANGUAGE_OVERRIDES.get(lang or "", {}).get(base)
    if override is not None:
        return override
    kind = kind_of(mnemonic.strip().lstrip("',"), lang) if lang else None
    if not base or kind in (Kind.PAUSE, Kind.STRESS, Kind.VIRTUAL):
        return REST
    if kind == Kind.VOWEL:
        found = _vowel(base) or _consonant(base)  # syllabic consonants (m-, n-) are "vowels"
    elif kind in _CONSONANT_KINDS:
        found = _consonant(base) or _BY_MANNER[kind]
    else:
        found = _consonant(base) if base[0] not in VOWELS or base in CONSONANTS else _vowel(base)
    if found is None:
        raise KeyError(f"no articulation rule for eSpeak phoneme {mnemonic!r}")
    return found
