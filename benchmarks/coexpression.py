"""Coexpression speed: the inverse and predictive models, and the whole loop with MediaPipe.

Run: `.venv/bin/python benchmarks/coexpression.py [--samples 5000] [--seconds 20]`.

- Models, one sample at a time (as the loop calls them) and batched, best of 20 runs, against the
  paper's laptop figures (inverse model 8,000 samples/s, predictive model 650 samples/s). Both
  models are timed as the PyTorch module (today's library call before issue 17, which depends on
  torch's thread setting) and as the loop and `session.Parts` run them (`FastInverse`,
  `FastPredictive`: normalisation, batch norm and adjacent linear layers folded, NumPy, whatever torch's
  threads). Torch keeps its default threads unless `--threads` says otherwise: a library caller
  does not set them. The baseline measured in the same run is the nearest-neighbour search over
  the robot's 1,600 self-model frames, the paper's strongest inverse baseline, also one sample at
  a time.
- The loop at its own rate (50 Hz) on a 640 x 480, 30 fps video of a face through MediaPipe (face
  mesh, video mode, once a frame), the normalisation, both models, the safety layer and the
  simulated face: its work per tick against the 20 ms a tick has, then the same loop paced by the
  wall clock (the rate it keeps). The baseline is MediaPipe alone on the same frames.
Uses the shipped checkpoints.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import torch  # noqa: E402

from mirrorface.coexpression import session  # noqa: E402
from mirrorface.coexpression.inverse import commands_for  # noqa: E402
from mirrorface.coexpression.loop import LoopConfig, loop_rate  # noqa: E402
from mirrorface.coexpression.predictive import predict  # noqa: E402
from mirrorface.coexpression.selfmodel import CommandSet, SymmetricSampler  # noqa: E402
from mirrorface.coexpression.sources import VideoSource  # noqa: E402
from mirrorface.data.video import VideoWriter  # noqa: E402
from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.hardware.sim import SimFace  # noqa: E402
from mirrorface.perception.landmarks import FaceMeshDetector  # noqa: E402

PAPER = {"inverse": 8000.0, "predictive": 650.0}
RATE_HZ = LoopConfig().rate_hz  # the loop's own rate (50 Hz)
TARGET_HZ = 25.0  # the paper's


def per_second(call, n: int, repeats: int = 20) -> float:
    """Calls a second: the best of `repeats` runs of n // repeats calls (as timeit advises: the run
    least disturbed by other work on a shared machine)."""
    call()  # warm-up: the first call allocates
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(max(1, n // repeats)):
            call()
        best = min(best, time.perf_counter() - t)
    return max(1, n // repeats) / best


def person_video(path: str, spec, seconds: float) -> None:
    """A 640 x 480 video of the simulated face going between rest and expressions (the person)."""
    outputs = CommandSet.of(spec)
    poses = SymmetricSampler("both").commands(spec, int(seconds), np.random.default_rng(0), 1.0)
    rest = outputs.from_face(spec.neutral)
    with SimFace(spec, seed=1) as face, VideoWriter(path, 30.0, 640, 480) as video:
        for pose in poses:
            for frame in range(30):  # a second each: rest, then an expression rising and holding
                level = min(1.0, max(0.0, (frame - 10) / 10))
                target = outputs.to_face(rest + level * (outputs.from_face(pose) - rest), spec)
                face.send(target)
                face.advance(1 / 30)
                square = cv2.resize(face.read_frame(), (480, 480))
                video.write(np.pad(square, ((0, 0), (80, 80), (0, 0)), constant_values=40))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5000, help="model calls per measurement")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the loop's video")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own default)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    spec = load_spec("emo26")
    parts = session.load_parts(spec)
    print(f"{os.cpu_count()} CPUs, torch {torch.__version__} with {torch.get_num_threads()} thread(s), "
          f"Python {sys.version.split()[0]}")

    one_face = np.asarray(parts.robot.rest, np.float32)
    four_frames = np.stack([one_face] * 4)
    rng = np.random.default_rng(0)
    pool = one_face + rng.normal(0, 0.005, (1600, 113, 2)).astype(np.float32)  # the self-model's size
    flat_pool = pool.reshape(len(pool), -1)
    norms = (flat_pool**2).sum(1)

    def nearest(x=one_face.reshape(-1)):
        return int(np.argmin(norms - 2 * flat_pool @ x))

    n = args.samples
    baseline = per_second(nearest, n)
    module_one = per_second(lambda: commands_for(parts.inverse, one_face), n)
    inverse_one = per_second(lambda: parts.commands(one_face), n)
    batch = np.broadcast_to(one_face, (256, 113, 2)).copy()
    inverse_batched = 256 * per_second(lambda: parts.commands(batch), max(20, n // 100))
    predictive_module_one = per_second(lambda: predict(parts.predictive, four_frames, one_face), n)
    predictive_one = per_second(lambda: parts.predict(four_frames, one_face), n)
    batch4 = np.broadcast_to(four_frames, (256, 4, 113, 2)).copy()
    rest256 = np.broadcast_to(one_face, (256, 113, 2)).copy()
    predictive_batched = 256 * per_second(lambda: predict(parts.predictive, batch4, rest256), max(20, n // 100))
    print(f"nearest neighbour (baseline), 1 sample  {baseline:9.0f} samples/s")
    print(f"inverse model, PyTorch module, 1 sample {module_one:9.0f} samples/s  "
          f"{module_one / PAPER['inverse']:5.2f}x the paper's 8,000, {module_one / baseline:5.2f}x the baseline")
    print(f"inverse model, folded (the loop's), 1   {inverse_one:9.0f} samples/s  "
          f"{inverse_one / PAPER['inverse']:5.2f}x the paper's 8,000, {inverse_one / baseline:5.2f}x the baseline, "
          f"{inverse_one / module_one:5.2f}x the module")
    print(f"inverse model, batches of 256           {inverse_batched:9.0f} samples/s")
    print(f"predictive model, PyTorch module, 1     {predictive_module_one:9.0f} samples/s  "
          f"{predictive_module_one / PAPER['predictive']:5.2f}x the paper's 650")
    print(f"predictive model, folded (the loop's), 1 {predictive_one:8.0f} samples/s  "
          f"{predictive_one / PAPER['predictive']:5.2f}x the paper's 650, "
          f"{predictive_one / predictive_module_one:5.2f}x the module")
    print(f"predictive model, batches of 256        {predictive_batched:9.0f} samples/s")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "person.mp4")
        person_video(path, spec, args.seconds)
        from mirrorface.data.video import read_frames

        frames = list(read_frames(path))  # the loop runs MediaPipe once a camera frame
        with FaceMeshDetector(video=True) as detect:
            t = time.perf_counter()
            found = sum(detect(f) is not None for f in frames)
            mediapipe_hz = len(frames) / (time.perf_counter() - t)
        for mode in ("coexpress", "mimic"):
            source = VideoSource(path)
            with SimFace(spec, seed=0) as face:
                config = session.loop_config(mode, RATE_HZ, camera_fps=source.fps)
                ticks = session.make_loop(face, parts, config).run(source)
            source.close()
            s = loop_rate(ticks)
            print(f"loop ({mode:9s}) 640x480 + MediaPipe  {s['max_rate_hz']:6.1f} new frames a second possible "
                  f"({s['work_ms_mean']:.1f} ms a tick, p99 {s['work_ms_p99']:.1f} ms; "
                  f"{s['late']} of {s['ticks']} ticks over {1000 / RATE_HZ:.0f} ms; "
                  f"{s['missed_deadline']} missed deadlines); {s['max_rate_hz'] / TARGET_HZ:.2f}x the paper's 25 Hz")
        source = VideoSource(path)  # and paced by the wall clock, as with a live camera
        with SimFace(spec, seed=0) as face:
            config = session.loop_config("coexpress", RATE_HZ, realtime=True, camera_fps=source.fps)
            loop = session.make_loop(face, parts, config)
            t = time.perf_counter()
            ticks = loop.run(source)
            paced_hz = len(ticks) / (time.perf_counter() - t)
        source.close()
        print(f"loop (coexpress) paced in real time         {paced_hz:6.2f} Hz achieved of {RATE_HZ:g} over "
              f"{len(ticks)} ticks; {loop_rate(ticks)['late']} ticks over {1000 / RATE_HZ:.0f} ms, "
              f"{loop_rate(ticks)['missed_deadline']} missed deadlines")
        per_frame_ms = s["work_ms_mean"] * RATE_HZ / source.fps  # (mimic) the loop's work a camera frame
        print(f"MediaPipe alone (baseline) on the same frames  {mediapipe_hz:6.1f} Hz, {1000 / mediapipe_hz:.1f} ms a "
              f"frame (face found in {found / len(frames):.1%}); the loop's work a camera frame {per_frame_ms:.1f} ms, "
              f"{per_frame_ms * mediapipe_hz / 1000:.2f}x MediaPipe's")


if __name__ == "__main__":
    main()
