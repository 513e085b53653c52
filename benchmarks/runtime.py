"""Live speech on the runtime, beside today's plan-everything-first path measured in the same run.

Run: `.venv/bin/python benchmarks/runtime.py [--repeats 3] [--words 100,1000] [--front-end-words 10000]
[--cold-only]`

Figures (the simulated lips10 face; the sound goes to a WAV file sink, which plays it as a sound
card would, in real time):
- text -> first audio sample and first command, warm (models loaded): streaming (clause by
  clause, `lipsync.live`) against the baseline (TTS and `plan_speech` of the whole text first);
- the same from a cold `mirrorface say --realtime` (a new process: imports, model loading)
  against a cold `mirrorface say --no-video` (whose commands exist only when all are planned),
  each with the models on onnxruntime (the shipped ONNX graphs: no PyTorch import) and on
  PyTorch (MIRRORFACE_ONNX=0, the baseline), alternating, median of --repeats; and a cold
  one-shot `say --no-video` of a 3-second sentence and of test sentence 1 as a real-time factor
  (seconds of speech / wall seconds of the whole process, imports included). `--cold-only` stops
  there;
- command send-time jitter against the schedule (median, p99): the runtime's scheduler on the
  sound's clock against a loop paced by `time.sleep(period)` after each send (what `advance` as
  a sleep does);
- the lip-audio offset of the executed motion: the face's measured lip opening, sampled on the
  sound's clock as it was heard, cross-correlated with the target opening (`eval.articulation`);
  the baseline is the same commands executed offline on the virtual clock;
- planning speed (seconds of speech per second of planning);
- peak memory (max RSS of a child process) planning 100 and 1,000 words clause by clause and the
  whole text at once, and the speech front end (eSpeak + coarticulation) for 10,000 words; the
  dense coarticulation this release replaced would have allocated the size printed.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

from mirrorface.articulation.coarticulation import _segments  # noqa: E402
from mirrorface.articulation.sources import from_text, track_of  # noqa: E402
from mirrorface.eval.articulation import lip_audio_offset_ms, lip_gap_mm, target_gap_mm  # noqa: E402
from mirrorface.face.sim.painter import Painter  # noqa: E402
from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.hardware.sim import SimFace  # noqa: E402
from mirrorface.lipsync.execute import execute  # noqa: E402
from mirrorface.lipsync.live import perform_live, plan_chunks, text_utterances  # noqa: E402
from mirrorface.lipsync.speak import LipSyncModels, plan_speech  # noqa: E402
from mirrorface.runtime.audio import FileSink  # noqa: E402
from mirrorface.runtime.watchdog import Watchdog  # noqa: E402
from mirrorface.speech.clauses import split_clauses  # noqa: E402
from mirrorface.speech.corpus import TEST_SENTENCES  # noqa: E402

TEXT = " ".join(TEST_SENTENCES)  # 102 words, ~40 s of speech


def words(n: int) -> str:
    base = TEXT.split()
    return " ".join(base[i % len(base)] for i in range(n))


def ms(x: float) -> str:
    return f"{x * 1000:7.1f} ms"


def live_run(spec, models, text: str, tmp: Path):
    """Speak `text` live; returns the run, the longest wall-clock gap between sends, the face's lip gap
    on the frame grid, and the target gap."""
    painter = Painter(spec)
    heard, gaps, walls = [], [], []
    # A 1-s watchdog: on the shared 2-core VM other work can hold this process off the CPU for
    # longer than the spec's 200 ms; the longest silence between sends is printed instead.
    with SimFace(spec) as face, Watchdog(face, 1.0) as watchdog, FileSink(tmp / "live.wav", 22050) as sink:
        def record(t, sent):
            heard.append(t)
            walls.append(time.perf_counter())
            gaps.append(face.read_positions())
        run = perform_live(face, plan_chunks(text_utterances(text), painter, models), sink, watchdog, on_sent=record,
                           hold_s=2.0)
    fps = spec.camera.fps
    target = np.concatenate([target_gap_mm(track_of(from_text(c), fps).values) for c in split_clauses(text)])
    grid = 0.01 + np.arange(len(target)) / fps  # frame k of the speech, heard after the 10-ms preroll
    measured = lip_gap_mm(painter, np.array(gaps))
    return run, float(np.diff(walls).max()), np.interp(grid, np.array(heard), measured), target


def paced_by_sleep(spec, commands: np.ndarray, fps: float) -> np.ndarray:
    """Lateness of each send in a loop that sleeps one period after each send."""
    late = []
    with SimFace(spec) as face:
        start = time.perf_counter()
        for k, command in enumerate(commands):
            late.append(time.perf_counter() - start - k / fps)
            face.send(command)
            time.sleep(1 / fps)
    return np.array(late)


def first_output(cmd: list[str], files: list[Path], min_bytes: list[int], timeout_s: float = 120,
                 env: dict | None = None) -> list[float]:
    """Seconds from spawning `cmd` until each file holds more than its min_bytes (polled every 2 ms)."""
    started = time.perf_counter()
    # Its own process group, so that its planner and render workers end with it: a killed live run's
    # workers would otherwise go on rendering beside the next measured process.
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                               start_new_session=True)
    seen = [np.nan] * len(files)
    while time.perf_counter() - started < timeout_s and any(np.isnan(seen)):
        for i, (path, size) in enumerate(zip(files, min_bytes, strict=True)):
            if np.isnan(seen[i]) and path.exists() and path.stat().st_size > size:
                seen[i] = time.perf_counter() - started
        if process.poll() is not None and any(np.isnan(seen)):
            for i, (path, size) in enumerate(zip(files, min_bytes, strict=True)):
                if np.isnan(seen[i]) and path.exists() and path.stat().st_size > size:
                    seen[i] = time.perf_counter() - started
            break
        time.sleep(0.002)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return seen


ONE_SHOT = "Please bring the blue map, five pens and a pair of boots."  # ~3 s: issue 16's one-shot yardstick
RUNTIMES = {"onnxruntime": "1", "PyTorch (MIRRORFACE_ONNX=0)": "0"}  # the models' runtime -> MIRRORFACE_ONNX


def cold_runs(tmp: Path, k: int, flag: str) -> tuple[float, float, float, float, float]:
    """One cold process of each kind: (live first audio, live first command, one-shot first command
    written, one-shot wall for ONE_SHOT, one-shot wall for test sentence 1), seconds."""
    env = {**os.environ, "MIRRORFACE_ONNX": flag}
    say = [sys.executable, "-m", "mirrorface", "say", TEST_SENTENCES[0]]
    run = tmp / f"cold{k}-{flag}"
    live = first_output(say + ["--realtime", "--audio-out", f"{run}.wav", "--trajectory", f"{run}.csv"],
                        [Path(f"{run}.wav"), Path(f"{run}.csv")], [44, 200], env=env)
    base = first_output(say + ["--no-video", "--trajectory", f"{run}-b.csv", "--out", f"{run}-b.mp4"],
                        [Path(f"{run}-b.csv")], [200], env=env)
    walls = []
    for text in (ONE_SHOT, TEST_SENTENCES[0]):
        started = time.perf_counter()
        subprocess.run(say[:-1] + [text, "--no-video", "--trajectory", f"{run}-o.csv", "--out", f"{run}-o.mp4"],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
    return live[0], live[1], base[0], walls[0], walls[1]


def cold_start(tmp: Path, repeats: int) -> None:
    """A new `mirrorface` process per measure, the models on onnxruntime and on PyTorch, alternating."""
    runs = {name: [] for name in RUNTIMES}
    for k in range(repeats):
        for name, flag in RUNTIMES.items():
            runs[name].append(cold_runs(tmp, k, flag))
    speech = [from_text(text).duration_ms / 1000 for text in (ONE_SHOT, TEST_SENTENCES[0])]
    print(f"\ncold CLI start (a new process each; median of {repeats}, alternating runtimes; "
          f"load average {os.getloadavg()[0]:.1f})")
    for name, rows in runs.items():
        live_sound, live_command, base, short, long = np.median(np.array(rows), axis=0)
        print(f"  models on {name}:")
        print(f"    say --realtime (test sentence 1): first audio sample {ms(live_sound)}, first command "
              f"{ms(live_command)}")
        print(f"    say (baseline): first command written {ms(base)} "
              f"(x{base / live_command:.1f} the live first command)")
        print(f"    one-shot say --no-video, whole process: {speech[0]:.2f} s sentence {short:.2f} s "
              f"({speech[0] / short:.1f}x real time); test sentence 1 ({speech[1]:.2f} s) {long:.2f} s "
              f"({speech[1] / long:.1f}x real time)")
    onnx, eager = (np.median(np.array(rows), axis=0) for rows in runs.values())
    print(f"  onnxruntime against PyTorch: first audio sample x{eager[0] / onnx[0]:.2f} sooner, one-shot "
          f"({speech[0]:.2f} s sentence) x{eager[3] / onnx[3]:.2f} faster")


PEAK = """
import resource, sys
from mirrorface.face.spec import load_spec
from mirrorface.face.sim.painter import Painter
from mirrorface.lipsync.speak import LipSyncModels, plan_speech
from mirrorface.lipsync.live import plan_chunks, text_utterances
from mirrorface.articulation.sources import from_text, track_of
from mirrorface.speech.clauses import split_clauses
mode, text = sys.argv[1], sys.stdin.read()
spec = load_spec("lips10")
if mode == "front-whole":
    track_of(from_text(text), 30.0)
elif mode == "front-clauses":
    for clause in split_clauses(text):
        track_of(from_text(clause), 30.0)
else:
    models = LipSyncModels.load(spec)
    if mode == "plan-whole":
        plan_speech(from_text(text), Painter(spec), models)
    else:
        for _ in plan_chunks(text_utterances(text), Painter(spec), models):
            pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak_mib(mode: str, text: str) -> tuple[float, float]:
    """(peak RSS in MiB, seconds) of a fresh process doing `mode` on `text` (its workers not counted)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PEAK, mode], input=text, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--words", default="100,1000", help="texts to plan whole and clause by clause")
    parser.add_argument("--front-end-words", type=int, default=10_000)
    parser.add_argument("--cold-only", action="store_true", help="measure the cold CLI start only")
    args = parser.parse_args()
    spec = load_spec("lips10")
    fps = spec.camera.fps
    print(f"lips10, {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), Python {sys.version.split()[0]}; "
          f"text: the lip-sync paper's 3 test sentences ({len(TEXT.split())} words)")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cold_start(tmp, args.repeats)  # first, while this process is small
        if args.cold_only:
            return

        models = LipSyncModels.load(spec)
        list(plan_chunks(text_utterances("Warm up."), Painter(spec), models))
        warm_first, base_first, offsets, late, runs, silences = [], [], [], [], [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            plan = plan_speech(from_text(TEXT), Painter(spec), models)
            base_first.append(time.perf_counter() - started)
            run, silence, opening, target = live_run(spec, models, TEXT, tmp)
            runs.append(run)
            silences.append(silence)
            warm_first.append((run.first_sound_s, run.first_command_s))
            offsets.append(lip_audio_offset_ms(opening, target, fps))
            late.extend(run.stats.late_s)
        warm = np.median(np.array(warm_first), axis=0)
        print(f"\nwarm, text -> first output (median of {args.repeats}; all 3 test sentences)")
        print(f"  streaming: first audio sample {ms(warm[0])}, first command {ms(warm[1])}")
        print(f"  baseline (plan everything first): first audio sample and command {ms(np.median(base_first))} "
              f"(x{np.median(base_first) / warm[1]:.0f})")

        late_ms = np.abs(np.array(late)) * 1e3
        sleep_ms = np.abs(paced_by_sleep(spec, plan.commands, fps)) * 1e3
        dropped = sum(r.stats.dropped for r in runs)
        print(f"\nsend-time jitter against the schedule ({len(late_ms)} sends, {dropped} stale commands dropped)")
        print(f"  runtime scheduler (sound clock): median {np.median(late_ms):.2f} ms, p99 "
              f"{np.quantile(late_ms, 0.99):.2f} ms, max {late_ms.max():.2f} ms; longest silence between sends "
              f"{max(silences) * 1e3:.0f} ms")
        print(f"  baseline (sleep one period per send): median {np.median(sleep_ms):.2f} ms, p99 "
              f"{np.quantile(sleep_ms, 0.99):.2f} ms (drift: {sleep_ms[-1]:.0f} ms after {len(sleep_ms)} sends)")

        with SimFace(spec) as face:
            offline = execute(face, plan.commands, fps, capture=False)
            offline_offset = lip_audio_offset_ms(lip_gap_mm(face.painter, offline.positions),
                                                 target_gap_mm(plan.track.values), fps)
        print("\nlip-audio offset of the executed motion (lips later than the target opening: +; "
              "EBU R37 allows -60..+40 ms of sound lateness, i.e. lips -40..+60)")
        print(f"  live, measured against the sound as heard: {np.median(offsets):+.1f} ms "
              f"(runs: {', '.join(f'{o:+.1f}' for o in offsets)})")
        print(f"  baseline, the whole plan executed offline: {offline_offset:+.1f} ms")

        speech_s = len(plan.track) / fps
        started = time.perf_counter()
        list(plan_chunks(text_utterances(TEXT), Painter(spec), models))
        streaming_s = time.perf_counter() - started
        print(f"\nplanning speed ({speech_s:.1f} s of speech)")
        print(f"  clause by clause: {speech_s / streaming_s:5.1f}x real time")
        print(f"  baseline, whole text: {speech_s / np.median(base_first):5.1f}x real time")

    print(f"\n(load average now {os.getloadavg()[0]:.1f})")
    print("peak memory (max RSS of a fresh process; forked render workers not counted)")
    for n in (int(w) for w in args.words.split(",")):
        streaming, t_s = peak_mib("plan-clauses", words(n))
        whole, t_w = peak_mib("plan-whole", words(n))
        print(f"  {n:6d} words, planned: clause by clause {streaming:6.0f} MiB ({t_s:.0f} s), "
              f"whole text (baseline) {whole:6.0f} MiB ({t_w:.0f} s)")
    n = args.front_end_words
    clauses, t_c = peak_mib("front-clauses", words(n))
    whole, t_w = peak_mib("front-whole", words(n))
    speech = from_text(words(n))
    frames = len(track_of(speech, fps))
    segments = len(_segments(speech.phonemes, speech.duration_ms, "en")[0])
    dense_gib = frames * segments * 9 * 8 / 2**30  # one (F, S, 9) float64 array
    print(f"  {n:6d} words, front end (eSpeak + coarticulation): clause by clause {clauses:6.0f} MiB ({t_c:.0f} s), "
          f"whole text {whole:6.0f} MiB ({t_w:.0f} s); the replaced dense blend: ~{dense_gib:,.0f} GiB")


if __name__ == "__main__":
    main()
