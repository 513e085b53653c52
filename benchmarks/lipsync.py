"""Lip-sync speed: the FAT batched and streaming, text to trajectory end to end, and `say`'s memory.

Run: `.venv/bin/python benchmarks/lipsync.py [--models FOLDER]` (FOLDER holds vae/ and fat/; the
default is the models shipped for lips10).

Each figure comes with a baseline measured in the same run:
- `mirrorface say` peak memory (target <= 1.5 GiB): the whole command in a child process (max
  resident set, from wait4), against `mirrorface target` (the front end's command: TTS, target
  frames and an MP4, no models).
- Text -> trajectory real-time factor (target >= 20x): TTS + articulation + the mouth-crop
  windows of the target frames + VAE + streaming FAT (`plan_speech`, as `say` runs it: on
  onnxruntime where the models' folders hold current graphs) on the paper's three test sentences,
  against the speech front end alone rendering whole frames (what `mirrorface target` does), and
  beside the same plan with both models on eager PyTorch (checked to give the same commands).
- FAT streaming step (target <= 2 ms): `StreamingFAT` (eager PyTorch pinned to one thread) and
  `OnnxStreamingFAT` (onnxruntime, one thread, what `say` uses with a fat.onnx), against eager
  PyTorch on torch's default threads.
- FAT batched frames/s (target >= 5,000): PyTorch and onnxruntime on 4,096 windows in one batch,
  on one thread and on torch's default threads, against the same windows one at a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")

import torch  # noqa: E402

from mirrorface.articulation.sources import from_text, track_of  # noqa: E402
from mirrorface.errors import MirrorfaceError  # noqa: E402
from mirrorface.export.graphs import FAT_ONNX, OnnxStreamingFAT, session  # noqa: E402
from mirrorface.export.onnx import export_fat  # noqa: E402
from mirrorface.face.sim.painter import Painter  # noqa: E402
from mirrorface.face.spec import FaceSpec, load_spec  # noqa: E402
from mirrorface.lipsync.eager import StreamingFAT  # noqa: E402
from mirrorface.lipsync.speak import CHECKPOINTS, LipSyncModels, plan_speech  # noqa: E402
from mirrorface.models.fat import FAT  # noqa: E402
from mirrorface.speech.corpus import TEST_SENTENCES  # noqa: E402
from mirrorface.targets.frames import speaking_frames  # noqa: E402

BATCH, STEPS, WARMUP = 4096, 300, 30


def child_peak(args: list[str]) -> tuple[float, float]:
    """Run `python -m mirrorface ARGS`; its wall time (s) and peak resident memory (MiB)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "mirrorface", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"error: mirrorface {args[0]} failed: {child.stderr.read().decode().strip()}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def best_seconds(run: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of `repeats` timed runs, after an untimed one (the shared VM's noise only adds time)."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def step_times(step: Callable[[np.ndarray], object], windows: np.ndarray) -> np.ndarray:
    """Milliseconds of each of STEPS streaming steps, after WARMUP untimed ones."""
    for t in range(WARMUP):
        step(windows[t])
    times = []
    for t in range(STEPS):
        started = time.perf_counter()
        step(windows[t % len(windows)])
        times.append(time.perf_counter() - started)
    return 1000 * np.array(times)


def streaming_windows(latents: np.ndarray, horizon: int) -> np.ndarray:
    """(F, latent) -> (F, horizon, latent): L_t, L_{t+1}, the last latent repeated, as `say` feeds them."""
    padded = np.concatenate([latents, np.repeat(latents[-1:], horizon - 1, axis=0)])
    return np.stack([padded[t : t + horizon] for t in range(len(latents))]).astype(np.float32)


def memory(spec: FaceSpec, folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        text = TEST_SENTENCES[0]
        say_s, say_mib = child_peak(["say", text, "--face", spec.name, "--models", str(folder),
                                     "--out", os.path.join(tmp, "say.mp4")])
        target_s, target_mib = child_peak(["target", text, "--face", spec.name,
                                           "--out", os.path.join(tmp, "target.mp4")])
    print(f"\n`mirrorface say` (test sentence 1, MP4 included): {say_mib:.0f} MiB peak, {say_s:.1f} s "
          f"(target: at most 1536 MiB)\n  baseline `mirrorface target`: {target_mib:.0f} MiB, {target_s:.1f} s; "
          f"the models and the executing face add {say_mib - target_mib:+.0f} MiB")


def end_to_end(spec: FaceSpec, models: LipSyncModels) -> np.ndarray:
    """Text -> trajectory on the test sentences, three ways; returns the sentences' target latents."""
    face = Painter(spec, seed=0)
    eager = replace(models, encoder=None, fat_session=None)
    from_text("warm up")  # library start-up is not per-sentence work
    plan_speech(from_text("warm up"), face, models)
    speech_s, totals, latents = 0.0, {"say": 0.0, "front end": 0.0, "eager": 0.0}, []
    print(f"\nthe models run: {models.runtimes} (eager: both on PyTorch)")
    for k, text in enumerate(TEST_SENTENCES, 1):
        t0 = time.perf_counter()
        utt = from_text(text)
        tts = time.perf_counter() - t0
        t0 = time.perf_counter()
        plan = plan_speech(utt, face, models)
        t1 = time.perf_counter()
        frames = sum(1 for _ in speaking_frames(face, track_of(utt, spec.camera.fps)))
        t2 = time.perf_counter()
        commands = plan_speech(utt, face, eager).commands
        t3 = time.perf_counter()
        seconds = utt.duration_ms / 1000
        speech_s += seconds
        for name, dt in zip(totals, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            totals[name] += tts + dt
        latents.append(plan.latents)
        print(f"sentence {k}: {seconds:5.2f} s of speech, {frames} frames: text -> trajectory {tts + t1 - t0:5.2f} s; "
              f"front end with whole frames {tts + t2 - t1:5.2f} s; on PyTorch {tts + t3 - t2:5.2f} s "
              f"(commands within {np.abs(commands - plan.commands).max():.0e})")
    print(f"text -> trajectory (plan_speech, as `say` runs it): {speech_s / totals['say']:5.1f}x real time "
          f"(target: at least 20x)")
    print(f"  baseline, the speech front end alone rendering whole frames (`mirrorface target`): "
          f"{speech_s / totals['front end']:5.1f}x ({totals['front end'] / totals['say']:.2f}x the time)")
    print(f"  the same plan with the VAE and the FAT on eager PyTorch: {speech_s / totals['eager']:5.1f}x")
    return np.concatenate(latents)


def streaming(fat: FAT, start: np.ndarray, windows: np.ndarray, onnx_path: Path) -> None:
    threads = torch.get_num_threads()
    history = torch.from_numpy(np.tile(start, (fat.config.history, 1)).astype(np.float32))[None]

    def default_threads(window: np.ndarray) -> None:  # the step before StreamingFAT pinned one thread
        with torch.inference_mode():
            fat(history, torch.from_numpy(window)[None])

    baseline = step_times(default_threads, windows)
    print(f"\nFAT streaming step ({STEPS} steps; mean, median, 95th percentile; target: at most 2 ms):")
    for name, ms in ((f"baseline: PyTorch eager, {threads} threads", baseline),
                     ("PyTorch eager, 1 thread (StreamingFAT)", step_times(StreamingFAT(fat, start).step, windows)),
                     ("onnxruntime, 1 thread (OnnxStreamingFAT)",
                      step_times(OnnxStreamingFAT(onnx_path, start).step, windows))):
        print(f"  {name:<42} {ms.mean():7.3f} ms {np.median(ms):7.3f} ms {np.percentile(ms, 95):7.3f} ms "
              f"({baseline.mean() / ms.mean():5.1f}x the baseline)")


def batched(fat: FAT, windows: np.ndarray, onnx_path: Path) -> None:
    threads = torch.get_num_threads()
    rng = np.random.default_rng(0)
    actions = rng.random((BATCH, fat.config.history, fat.config.n_actions), dtype=np.float32)
    latents = windows[rng.integers(len(windows), size=BATCH)]
    a, z = torch.from_numpy(actions), torch.from_numpy(latents)
    torch.set_num_threads(1)
    with torch.inference_mode():
        per_frame = STEPS / best_seconds(lambda: [fat(a[i : i + 1], z[i : i + 1]) for i in range(STEPS)])
    print(f"\nFAT batched ({BATCH} windows, best of 3; target: at least 5,000 frames/s):")
    for n in sorted({1, threads}):
        torch.set_num_threads(n)
        with torch.inference_mode():
            torch_rate = BATCH / best_seconds(lambda: fat(a, z))
        ort_rate = BATCH / best_seconds(partial(session(onnx_path, n).run, None, {"actions": actions,
                                                                                  "latents": latents}))
        for name, rate in (("PyTorch", torch_rate), ("onnxruntime", ort_rate)):
            print(f"  {f'{name}, {n} thread' + 's' * (n > 1):<24} {rate:9.0f} frames/s ({rate / per_frame:5.1f}x "
                  f"per frame)")
    torch.set_num_threads(threads)
    print(f"  baseline: PyTorch one window at a time, 1 thread: {per_frame:.0f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=None,
                        help="folder with vae/ and fat/ (default: the shipped lips10 models)")
    args = parser.parse_args()
    spec = load_spec("lips10")
    try:
        models = LipSyncModels.load(spec, args.models)
    except MirrorfaceError as exc:
        sys.exit(f"error: {exc} (or pass --models FOLDER with vae/ and fat/)")
    folder = args.models or CHECKPOINTS / spec.name
    vae, fat = models.vae_config, models.fat_config
    print(f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the start), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads); models {folder}: VAE {vae.image_size} px {vae.channels}, "
          f"FAT d_model {fat.d_model} x {fat.layers} layers "
          f"({sum(p.numel() for p in models.fat.parameters())} parameters)")
    memory(spec, folder)  # first, while this process is small (a forked child counts its parent's pages)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = folder / "fat" / FAT_ONNX if models.fat_session is not None else \
            export_fat(models.fat, Path(tmp) / FAT_ONNX, spec.name)
        windows = streaming_windows(end_to_end(spec, models), fat.horizon)
        streaming(models.fat, spec.neutral, windows, onnx_path)
        batched(models.fat, windows, onnx_path)


if __name__ == "__main__":
    main()
