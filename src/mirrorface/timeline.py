"""Typed timelines in one time unit: integer milliseconds on the audio clock.

Every speech step (TTS, alignment, articulation, mouth cues) reads and writes `Timeline`s of
`Timed` values, so steps chain without unit conversions. Frames are sampled from a timeline at
`k * 1000 / fps` ms.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timed(Generic[T]):
    """A value that holds from `start` (inclusive) to `end` (exclusive), in ms."""

    start: int
    end: int
    value: T

    @property
    def duration(self) -> int:
        return self.end - self.start


class Timeline(Sequence[Timed[T]]):
    """Ordered, non-overlapping timed values (gaps allowed)."""

    def __init__(self, items: Sequence[Timed[T]] = ()):
        items = list(items)
        for a in items:
            if a.end < a.start:
                raise ValueError(f"{a}: ends before it starts")
        for a, b in zip(items, items[1:], strict=False):
            if b.start < a.end:
                raise ValueError(f"{b} starts before {a} ends")
        self._items = items

    def __getitem__(self, i):  # type: ignore[override]
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Timed[T]]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"Timeline({self._items!r})"

    @property
    def start(self) -> int:
        return self._items[0].start if self._items else 0

    @property
    def end(self) -> int:
        return self._items[-1].end if self._items else 0

    def at(self, t_ms: float) -> Timed[T] | None:
        """The item holding at time t, or None in a gap."""
        lo, hi = 0, len(self._items)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._items[mid].end <= t_ms:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self._items) and self._items[lo].start <= t_ms:
            return self._items[lo]
        return None

    def shifted(self, ms: int) -> Timeline[T]:
        return Timeline([Timed(a.start + ms, a.end + ms, a.value) for a in self._items])
