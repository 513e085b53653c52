"""Text cut into pieces that can be spoken (and planned) one after another.

Speech starts as soon as its first piece is planned, so the first piece is kept short
(`first_words`), and no piece is longer than `max_words` so planning keeps ahead of the sound
with bounded memory. Cuts fall after clause punctuation, else between words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_CLAUSE_END = re.compile(r"(?<=[,;:.!?。！？、…])\s+|\n+")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+|\n+")


def _bounded(words: list[str], limit: int) -> Iterator[list[str]]:
    for i in range(0, len(words), limit):
        yield words[i : i + limit]


def split_clauses(text: str, first_words: int = 4, max_words: int = 12) -> list[str]:
    """`text` -> clauses of at most `max_words` words (the first at most `first_words`)."""
    pieces = []
    for clause in _CLAUSE_END.split(text):
        words = clause.split()
        if not words:
            continue
        limit = first_words if not pieces else max_words
        head, rest = words[:limit], words[limit:]
        pieces.append(head)
        pieces.extend(_bounded(rest, max_words))
    return [" ".join(words) for words in pieces]


class Sentences:
    """Text arriving in fragments (a streamed reply) -> whole sentences as soon as each ends."""

    def __init__(self):
        self._pending = ""

    def feed(self, fragment: str) -> list[str]:
        """Add a fragment; returns the sentences it completed."""
        parts = _SENTENCE_END.split(self._pending + fragment)
        self._pending = parts.pop()
        return [p.strip() for p in parts if p.strip()]

    def flush(self) -> list[str]:
        """The unfinished last sentence (at the end of the stream)."""
        rest, self._pending = self._pending.strip(), ""
        return [rest] if rest else []
