"""A conversation: what the person types goes to a chat model, and the face speaks its reply live.

    person's line -> speech.llm.reply_stream (a thread here: server-sent fragments)
      -> whole sentences (speech.clauses.Sentences) -> a queue -> the planner process:
         clauses, eSpeak, lip-sync plan -> live.perform_live on the sink and the face

The first sentence is spoken while the model is still writing the next. Between sentences the
face holds its rest pose (fresh commands, so the watchdog stays quiet); a failing endpoint ends
the reply with its one-line error, the face at its safe pose. The person's lines are read by a
thread (`TypedLines`), so the face can coexpress with them on the camera until a line is there.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from mirrorface.articulation.sources import Utterance, from_text
from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.hardware.face import Face
from mirrorface.lipsync.live import LiveRun, perform_live, plan_chunks
from mirrorface.lipsync.speak import LipSyncModels
from mirrorface.runtime.audio import AudioSink
from mirrorface.runtime.watchdog import Watchdog
from mirrorface.speech.clauses import Sentences, split_clauses
from mirrorface.speech.llm import TIMEOUT_S, reply_stream


@dataclass
class Conversation:
    """The chat history and how to reach the model; `reply` speaks one turn."""

    url: str
    model: str | None = None
    system: str | None = None  # a system prompt, first in the history
    lang: str = "en"
    voice: str | None = None
    allow_remote: bool = False
    messages: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.system and not self.messages:
            self.messages.append({"role": "system", "content": self.system})

    def reply(self, line: str, face: Face, sink: AudioSink, watchdog: Watchdog, painter: Painter,
              models: LipSyncModels, on_sent: Callable[[float, np.ndarray], None] | None = None,
              ) -> tuple[str, LiveRun]:
        """Send the person's `line`, speak the streamed reply; returns its text and the live run."""
        self.messages.append({"role": "user", "content": line})
        sentences = multiprocessing.get_context("fork").Queue()  # read by the forked planner
        parts: list[str] = []
        reader = threading.Thread(target=self._read, args=(sentences, parts), name="mirrorface-llm", daemon=True)
        try:
            run = perform_live(face, plan_chunks(_spoken(sentences, self.lang, self.voice), painter, models), sink,
                               watchdog, on_sent=on_sent, hold_s=TIMEOUT_S, after_fork=reader.start)
        finally:
            if reader.is_alive():
                reader.join(1.0)
        text = "".join(parts).strip()
        self.messages.append({"role": "assistant", "content": text})
        return text, run

    def _read(self, sentences, parts: list[str]) -> None:
        """The reply's sentences into `sentences` as they complete; then None, or the error."""
        try:
            splitter = Sentences()
            for fragment in reply_stream(self.url, self.messages, self.model, allow_remote=self.allow_remote):
                parts.append(fragment)
                for sentence in splitter.feed(fragment):
                    sentences.put(sentence)
            for sentence in splitter.flush():
                sentences.put(sentence)
            sentences.put(None)
        except MirrorfaceError as exc:
            sentences.put(exc)
        except Exception as exc:  # anything else must still end the reply, or the planner waits forever
            sentences.put(MirrorfaceError(f"the chat reply failed: {type(exc).__name__}: {exc}"))


class TypedLines:
    """The person's lines from a text stream (stdin), read by a thread: the face can go on doing
    something (coexpressing with the person on the camera) until a line is there."""

    def __init__(self, stream: Iterable[str]):
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), name="mirrorface-typed", daemon=True).start()

    def _read(self, stream: Iterable[str]) -> None:
        try:
            for line in stream:
                if line.strip():
                    self._lines.put(line.strip())
        finally:
            self._lines.put(None)  # the end of the stream (or a stream that failed): the chat ends

    def ready(self) -> bool:
        """A line (or the end) is there to take."""
        return not self._lines.empty()

    def next(self) -> str | None:
        """The next line, waiting for it; None at the end of the stream."""
        return self._lines.get()


def _spoken(sentences, lang: str, voice: str | None) -> Iterator[Utterance]:
    """Utterances of the queued sentences, clause by clause (in the planner process)."""
    while (item := sentences.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        for clause in split_clauses(item):
            yield from_text(clause, lang, voice)
