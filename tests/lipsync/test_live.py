"""Live speech: chunks planned clause by clause, performed on the sound's clock, safe on every failure."""

import multiprocessing
import os
import signal
import time
import wave

import numpy as np
import pytest

from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.hardware.sim import SimFace
from mirrorface.lipsync.live import Chunk, perform_live, plan_chunks, text_utterances
from mirrorface.lipsync.speak import LipSyncModels
from mirrorface.runtime.audio import FileSink
from mirrorface.runtime.scheduler import WatchdogTripped
from mirrorface.runtime.watchdog import Watchdog

RATE = 22050


@pytest.fixture(scope="module")
def shipped(lips10):
    return LipSyncModels.load(lips10)


def open_mouth(spec, frames):
    command = spec.neutral.copy()
    command[spec.names.index("jaw")] = 0.6
    return np.tile(command, (frames, 1))


def synthetic_chunks(spec, count, then=None):
    """`count` 0.2-s chunks of a tone with the mouth open, then `then()` (a stall, a failure)."""
    for k in range(count):
        yield Chunk(0.2 * k, np.full(int(0.2 * RATE), 0.1, np.float32), RATE, open_mouth(spec, 6), 30.0)
    if then is not None:
        then()


def test_text_is_planned_clause_by_clause_on_one_continuous_clock(lips10, shipped):
    chunks = list(plan_chunks(text_utterances("Hello there, papa and mama."), Painter(lips10), shipped))
    assert len(chunks) == 2  # "Hello there," (the short first clause) | "papa and mama."
    assert chunks[0].start_s == 0.0
    assert chunks[1].start_s == pytest.approx(len(chunks[0].commands) / 30)
    for chunk in chunks:  # each chunk's sound lasts exactly its frames: the two clocks never drift apart
        assert len(chunk.audio) == round(len(chunk.commands) * RATE / 30) or chunk is not chunks[0]
    total = sum(len(c.commands) for c in chunks)
    assert sum(len(c.audio) for c in chunks) == round(total * RATE / 30)
    assert all(np.isfinite(c.commands).all() for c in chunks)


def test_a_live_run_plays_the_sound_and_sends_every_command_on_its_clock(lips10, shipped, tmp_path):
    chunks = list(plan_chunks(text_utterances("Hello there, papa."), Painter(lips10), shipped))
    log = []
    # A roomy deadline: the machine is shared, and this test is about the sound and the clock.
    with SimFace(lips10) as face, Watchdog(face, 1.0) as watchdog, FileSink(tmp_path / "s.wav", RATE) as sink:
        run = perform_live(face, iter(chunks), sink, watchdog, on_sent=lambda t, c: log.append((t, c)))
    total = sum(len(c.commands) for c in chunks)
    assert run.chunks == 2 and run.stats.sent + run.stats.dropped == total
    assert len(log) == run.stats.sent > total // 2  # (a busy machine may make a few stale, and they are dropped)
    times = np.array([t for t, _ in log])
    assert np.all(np.diff(times) > 0) and times[0] >= 0  # in order, on the sound's clock
    assert min(run.stats.late_s) >= 0  # never early
    assert run.heard_s == pytest.approx(sink.written)
    with wave.open(str(tmp_path / "s.wav")) as w:  # the preroll, then every chunk's sound
        assert w.getnframes() == int(0.01 * RATE) + sum(len(c.audio) for c in chunks)


def test_a_stalled_planner_trips_the_watchdog_and_the_face_ends_safe(lips10, tmp_path):
    with SimFace(lips10) as face, Watchdog(face, deadline_s=0.1) as watchdog, \
            FileSink(tmp_path / "s.wav", RATE) as sink:
        with pytest.raises(WatchdogTripped, match="safe pose"):  # (the planner sleeps 30 s: it was not waited for)
            perform_live(face, synthetic_chunks(lips10, 2, then=lambda: time.sleep(30)), sink, watchdog)
        assert watchdog.tripped_at >= 0.1
        assert np.allclose(face.safety.last, lips10.neutral)
        assert np.allclose(face.read_positions(), lips10.neutral, atol=0.02)


def test_a_failing_planner_is_its_own_error_and_the_face_ends_safe(lips10, tmp_path):
    def fail():
        raise MirrorfaceError("eSpeak NG failed to synthesise the text")

    with SimFace(lips10) as face, Watchdog(face) as watchdog, FileSink(tmp_path / "s.wav", RATE) as sink:
        with pytest.raises(MirrorfaceError, match="eSpeak NG failed"):
            perform_live(face, synthetic_chunks(lips10, 1, then=fail), sink, watchdog)
        assert not watchdog.tripped.is_set()
        assert np.allclose(face.safety.last, lips10.neutral)


def test_a_planner_that_never_sends_a_first_chunk_is_an_error_not_a_wait(lips10, tmp_path, monkeypatch):
    monkeypatch.setattr("mirrorface.lipsync.live.PLANNER_START_S", 0.5)
    with SimFace(lips10) as face, Watchdog(face) as watchdog, FileSink(tmp_path / "s.wav", RATE) as sink:
        started = time.perf_counter()
        with pytest.raises(MirrorfaceError, match="sent nothing for 0.5 s: it stalled"):
            perform_live(face, synthetic_chunks(lips10, 0, then=lambda: time.sleep(30)), sink, watchdog)
        assert time.perf_counter() - started < 10  # (not the planner's 30 s)
        assert np.allclose(face.safety.last, lips10.neutral)


def test_a_planner_killed_before_its_first_chunk_is_one_line(lips10, tmp_path):
    def killed():
        os.kill(os.getpid(), signal.SIGKILL)  # in the planner process: the kernel's OOM killer, say

    with SimFace(lips10) as face, Watchdog(face) as watchdog, FileSink(tmp_path / "s.wav", RATE) as sink:
        with pytest.raises(MirrorfaceError, match=r"planner ended unexpectedly \(exit code -9\)"):
            perform_live(face, synthetic_chunks(lips10, 0, then=killed), sink, watchdog)
        assert np.allclose(face.safety.last, lips10.neutral)


def test_a_thread_that_feeds_the_planner_starts_after_the_fork(lips10, tmp_path):
    started = []
    with SimFace(lips10) as face, Watchdog(face, 1.0) as watchdog, FileSink(tmp_path / "s.wav", RATE) as sink:
        run = perform_live(face, synthetic_chunks(lips10, 1), sink, watchdog,
                           after_fork=lambda: started.append(multiprocessing.active_children()))
    assert run.chunks == 1
    assert "mirrorface-planner" in [p.name for p in started[0]]
