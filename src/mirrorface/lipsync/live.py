"""Speech performed live: planned chunk by chunk, heard from a sink, and lips on the sound's clock.

    text -> clauses (speech.clauses) -> per clause: eSpeak, `plan_speech` continuing one FAT
    stream (its history carries across clauses) -> `Chunk`s
    chunks -> a planner process -> this process: each chunk's sound to the audio sink, its
    commands to the scheduler on the sink's clock (`runtime.audio`) -> the face, under the watchdog

The first chunk's sound starts as soon as it is planned; later chunks are planned while earlier
ones play. Memory holds a few chunks, whatever the length of the text. The planner is a forked
process, not a thread: rendering and the models hold Python's GIL for milliseconds at a time,
which made a thread's sends up to 17 ms late; in their own process they cannot delay a send.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from mirrorface.articulation.sources import Utterance, from_text
from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.hardware.face import Face
from mirrorface.lipsync.speak import LipSyncModels, plan_speech
from mirrorface.runtime.audio import AudioSink
from mirrorface.runtime.scheduler import Scheduler, SendStats, ease_to_safe_pose
from mirrorface.runtime.watchdog import Watchdog
from mirrorface.speech.clauses import split_clauses

PREROLL_S = 0.01  # silence before the first sound, so that its first command is not already due
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
PLANNER_NICENESS = 5  # the planner (and its render workers) yield the CPU to the sending process
PLANNER_EXIT_S = 2.0  # how long a finished run waits for the planner process to exit
# The models are loaded before the fork, so a first chunk takes a second or two to plan: one that
# has not come this long after the input is there (see `hold_s`) is a planner that hangs.
PLANNER_START_S = 30.0
HOLD_PERIOD_S = 1 / 30  # how often a face holding still between chunks is sent its pose again
SWITCH_INTERVAL_S = 0.0005  # how often Python hands the GIL between threads (the watchdog's) in a live run


@dataclass
class Chunk:
    """One planned piece of speech, placed on the utterance's clock."""

    start_s: float  # where its sound starts
    audio: np.ndarray  # (samples,) float32, exactly its frames' duration long
    sample_rate: int
    commands: np.ndarray  # (F, n): command k is due at start_s + k / fps
    fps: float

    @property
    def stamps(self) -> np.ndarray:
        return self.start_s + np.arange(len(self.commands)) / self.fps


def text_utterances(text: str, lang: str = "en", voice: str | None = None) -> Iterator[Utterance]:
    """eSpeak clause by clause: each utterance is synthesized only when the planner asks for it."""
    for clause in split_clauses(text):
        yield from_text(clause, lang, voice)


def plan_chunks(utterances: Iterable[Utterance], painter: Painter, models: LipSyncModels) -> Iterator[Chunk]:
    """Plan one utterance at a time, one FAT stream throughout; sound padded to whole frames."""
    fps = painter.spec.camera.fps
    stream = models.stream(painter.spec.neutral)
    frames, samples = 0, 0
    for utt in utterances:
        commands = plan_speech(utt, painter, models, stream).commands
        end = int(round((frames + len(commands)) * utt.sample_rate / fps))  # no drift between clock grids
        audio = np.zeros(end - samples, np.float32)
        audio[: min(len(utt.audio), len(audio))] = utt.audio[: len(audio)]
        yield Chunk(frames / fps, audio, utt.sample_rate, commands, fps)
        frames, samples = frames + len(commands), end


@dataclass
class LiveRun:
    """What a live performance did (times in wall-clock seconds from its start)."""

    stats: SendStats
    chunks: int
    first_sound_s: float  # the sink started playing
    first_command_s: float  # the first command reached the face
    heard_s: float  # seconds of sound played


class PlannerFailed(MirrorfaceError):
    """The planner process raised something that was not a `MirrorfaceError` (its message says what)."""


def _end_with(performer: int) -> None:
    """Have the kernel end this process when the performer dies (Linux; elsewhere `hand` notices)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != performer:  # it died before the request was made
        os._exit(0)


def _planner(chunks: Iterable[Chunk], out) -> None:  # in the forked planner process
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the performing process's to handle
    os.nice(PLANNER_NICENESS)  # on a busy machine the sending process must get the CPU the moment it wakes
    performer = os.getppid()
    _end_with(performer)

    def hand(item) -> bool:
        """Put `item` in the bounded queue; False once the performer is gone (killed: no one will read)."""
        while True:
            try:
                out.put(item, timeout=0.5)
                return True
            except queue.Full:
                if os.getppid() != performer:
                    return False

    try:
        for chunk in chunks:
            if not hand(chunk):
                return
    except MirrorfaceError as exc:
        hand(exc)
    except BaseException as exc:  # noqa: BLE001 (any failure must reach the performer as one line)
        hand(PlannerFailed(f"the speech planner failed: {type(exc).__name__}: {exc}"))
    else:
        hand(None)
    out.close()
    out.join_thread()


def _check_planner(planner: multiprocessing.Process, late: bool) -> None:
    """Raise if the planner process is gone (killed, crashed) or `late` with its first chunk."""
    if not planner.is_alive() and planner.exitcode:  # 0: it finished, its last items are on their way
        raise PlannerFailed(f"the speech planner ended unexpectedly (exit code {planner.exitcode})")
    if late:
        raise PlannerFailed(f"the speech planner sent nothing for {PLANNER_START_S:g} s: it stalled")


def _receive(planned, ready: queue.Queue) -> None:
    """Move the planner's items into this process's queue, through its last (None or an error)."""
    while True:
        try:
            item = planned.get()
        except BaseException as exc:  # noqa: BLE001 (an item that cannot be unpickled: the run must still end)
            item = PlannerFailed(f"the speech planner sent what this process cannot read: {type(exc).__name__}: {exc}")
        ready.put(item)
        if item is None or isinstance(item, BaseException):
            return


def perform_live(face: Face, chunks: Iterable[Chunk], sink: AudioSink, watchdog: Watchdog, *,
                 lead_s: float = 0.0, on_sent: Callable[[float, np.ndarray], None] | None = None,
                 hold_s: float = 0.0, after_fork: Callable[[], None] | None = None) -> LiveRun:
    """Play `chunks` on `sink` and `face` in real time; on any error or Ctrl-C the face eases to its
    safe pose before the exception goes on.

    Args:
        lead_s: servo lag to compensate beyond what the commands allow for (0 for the simulator
            the models learned on).
        hold_s: when the sound has run out and the next chunk is not planned yet (a busy
            machine, a chat model still writing its next sentence), the face holds its rest pose,
            sent afresh at the frame rate, for up to this long; a longer wait is a stall, and the
            watchdog ends the run within its deadline. Before the first sound the planner has
            this long plus `PLANNER_START_S` to send its first chunk.
        after_fork: called once the planner process exists. A thread that feeds `chunks` (a chat
            reply's reader) starts here: a process forked while a thread holds a lock (an import,
            a socket's, a stream's) inherits it held, with no thread to release it.
    """
    started = time.perf_counter()
    scheduler = Scheduler(face, sink.clock(), lead_s=lead_s, watchdog=watchdog, on_sent=on_sent)
    context = multiprocessing.get_context("fork")  # the child inherits the models: nothing is pickled
    planned = context.Queue(maxsize=4)  # bounded: memory stays flat on long texts
    planner = context.Process(target=_planner, args=(chunks, planned), name="mirrorface-planner")
    # A chunk is larger than a pipe's buffer, so reading one waits for the (lower-priority) planner
    # to write the rest: a receiving thread waits for it, outside the GIL, never the sending loop.
    ready: queue.Queue = queue.Queue()
    receiver = threading.Thread(target=_receive, args=(planned, ready), name="mirrorface-receiver", daemon=True)
    pending: deque[tuple[float, np.ndarray]] = deque()
    offset, first_sound, first_command, count, done = None, np.nan, np.nan, 0, False
    starved = held = 0.0  # when the sound last ran out; when the rest pose was last sent
    switch = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # the sending thread must not wait 5 ms for the GIL
    # After the fork every page is shared with the planner until written: a full garbage collection
    # here would write to every object (hundreds of MiB with torch loaded) and stall the sends for
    # up to half a second copying pages. Frozen objects are never collected, so never touched.
    gc.freeze()
    planner.start()
    receiver.start()
    try:
        if after_fork is not None:
            after_fork()
        while pending or not done:
            while not done:  # take every chunk that is ready; block only when nothing is left to send
                try:
                    item = ready.get(timeout=0.005) if not pending else ready.get_nowait()
                except queue.Empty:
                    if pending:
                        break
                    if watchdog.tripped.is_set():
                        raise watchdog.failure() from None
                    now = time.perf_counter()
                    _check_planner(planner, offset is None and now - started > hold_s + PLANNER_START_S)
                    if offset is None or sink.heard() < sink.written:
                        starved = now  # still playing (or not started): not waiting yet
                    elif now - starved < hold_s and now - held >= HOLD_PERIOD_S:
                        scheduler.send(face.spec.neutral)
                        held = now
                    continue
                if isinstance(item, BaseException):
                    raise item
                if item is None:
                    done = True
                    break
                if offset is None:  # the sink may have played earlier runs: stamps start where it is
                    preroll = PREROLL_S + max(lead_s, 0.0)
                    sink.write(np.zeros(int(preroll * item.sample_rate), np.float32))
                    offset = sink.written
                    first_sound = time.perf_counter() - started
                    watchdog.arm()
                sink.write(item.audio)
                pending.extend(zip(offset + item.stamps, item.commands, strict=True))
                count += 1
            if pending:
                stamp, command = pending.popleft()
                if scheduler.play(stamp, command) is not None and np.isnan(first_command):
                    first_command = time.perf_counter() - started
        watchdog.disarm()  # the last command is sent; the face holds it while the sound ends
        sink.drain(watchdog.tripped.is_set)
    except BaseException:
        if not watchdog.tripped.is_set() and face.is_connected:
            watchdog.disarm()
            ease_to_safe_pose(face, watchdog.lock, watchdog.safe_pose_s, on_sent)
        raise
    finally:
        sys.setswitchinterval(switch)
        gc.unfreeze()
        planner.terminate()  # it may be mid-chunk, or stalled: what it plans next is not wanted
        planner.join(PLANNER_EXIT_S)
        planned.put(None)  # ends the receiver, wherever the planner stopped
        receiver.join(PLANNER_EXIT_S)
        planned.close()
        planned.cancel_join_thread()
    return LiveRun(scheduler.stats, count, first_sound, first_command, sink.heard())
