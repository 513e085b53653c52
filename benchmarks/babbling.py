"""Babbling throughput: renderer, MediaPipe, video encoder, and the whole recorder.

Run: `.venv/bin/python benchmarks/babbling.py [--frames 3000]` (or `make bench`).

The recorder overlaps face stepping + rendering (one thread) with MediaPipe + writing (the
other); the baseline measured in the same run is the same work done serially in one thread.
The end-to-end figure runs the real CLI (`mirrorface babble`) in a child process and reports
its wall time and peak resident memory, with the projected time for the paper's 20,000 frames
against the 3-minute target.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")

from mirrorface.data.babbling import Sampler  # noqa: E402
from mirrorface.data.video import VideoWriter  # noqa: E402
from mirrorface.data.writer import DatasetWriter  # noqa: E402
from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.hardware.sim import SimFace  # noqa: E402
from mirrorface.perception.landmarks import FaceMeshDetector  # noqa: E402

TARGET_FRAMES, TARGET_SECONDS = 20_000, 180.0


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.1f} frames/s ({1000 * seconds / n:5.2f} ms/frame)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3000, help="frames per measurement")
    parser.add_argument("--face", default="lips10")
    args = parser.parse_args()
    n, spec = args.frames, load_spec(args.face)
    commands = Sampler("speech").commands(spec, n, np.random.default_rng(0), spec.camera.fps)
    print(f"face {spec.name}, {n} frames of {spec.camera.width}x{spec.camera.height}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")

    # The whole CLI first, while this process is still small (a forked child counts the
    # parent's pages until it execs, which would inflate its peak memory).
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "mirrorface", "babble", "--face", spec.name, "--frames", str(n),
               "--sampler", "speech", "--out", os.path.join(tmp, "ds"), "--quiet"]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        cli_s = time.perf_counter() - t
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with SimFace(spec, seed=0) as face:
        t = time.perf_counter()
        frames = []
        for c in commands:
            face.send(c)
            face.advance(1 / spec.camera.fps)
            frames.append(face.read_frame())
        render_s = time.perf_counter() - t
    print(f"simulator + renderer   {rate(n, render_s)}")

    with FaceMeshDetector(video=True) as detect:
        t = time.perf_counter()
        found = sum(detect(f) is not None for f in frames)
        mediapipe_s = time.perf_counter() - t
    print(f"MediaPipe face mesh    {rate(n, mediapipe_s)}  (face found in {found / n:.1%})")

    with tempfile.TemporaryDirectory() as tmp:
        video = VideoWriter(os.path.join(tmp, "v.mp4"), spec.camera.fps, spec.camera.width,
                            spec.camera.height)
        t = time.perf_counter()
        for f in frames:
            video.write(f)
        video.close()
        encode_s = time.perf_counter() - t
    print(f"video encoder          {rate(n, encode_s)}")
    del frames

    with tempfile.TemporaryDirectory() as tmp, SimFace(spec, seed=0) as face, \
            FaceMeshDetector(video=True) as detect:
        writer = DatasetWriter(tmp, fps=spec.camera.fps, n_actuators=spec.n,
                               actuator_names=spec.names,
                               image_size=(spec.camera.height, spec.camera.width),
                               extra_info={"face": spec.name})
        t = time.perf_counter()
        with writer:
            writer.start_episode()
            for c in commands:
                sent = face.send(c)
                face.advance(1 / spec.camera.fps)
                image = face.read_frame()
                writer.add_frame(timestamp=face.clock, action=sent, state=face.read_positions(),
                                 landmarks=detect(image), image=image)
        serial_s = time.perf_counter() - t
    print(f"serial baseline        {rate(n, serial_s)}")

    print(f"mirrorface babble      {rate(n, cli_s)}  (whole CLI, start-up included)")
    print(f"  speed-up over the serial baseline: {serial_s / cli_s:.2f}x")
    projected = TARGET_FRAMES * cli_s / n
    print(f"  projected {TARGET_FRAMES} frames: {projected:.0f} s "
          f"({projected / TARGET_SECONDS:.2f}x of the {TARGET_SECONDS:.0f} s target)")
    print(f"  peak memory of the babble process: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
