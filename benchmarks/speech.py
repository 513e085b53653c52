"""Speech front end speed: TTS, articulation and target frames against real time.

Run: `.venv/bin/python benchmarks/speech.py`.

For each of the lip-sync paper's three test sentences it times eSpeak NG synthesis (audio and
phoneme events), coarticulation, and painting the target mouth onto the simulated face at 30 fps,
and prints each stage's real-time factor (seconds of speech per second of computing; the
audio's own duration is the baseline, measured in the same run) and the peak memory of this
process. MP4 encoding is timed separately: it is output, not the front end.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

from mirrorface.articulation.coarticulation import articulate
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import load_spec
from mirrorface.media import write_mp4
from mirrorface.speech.corpus import TEST_SENTENCES
from mirrorface.speech.tts import synthesize
from mirrorface.targets.frames import speaking_frames


def main() -> None:
    spec = load_spec("lips10")
    face = Painter(spec, seed=0)
    synthesize("warm up")  # library start-up is not per-sentence work
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, face {spec.name} at {spec.camera.fps:g} fps")
    totals = {"tts": 0.0, "articulation": 0.0, "frames": 0.0, "encode": 0.0}
    speech_s = 0.0
    for k, text in enumerate(TEST_SENTENCES, 1):
        t0 = time.perf_counter()
        s = synthesize(text)
        t1 = time.perf_counter()
        track = articulate(s.phonemes, s.duration_ms, spec.camera.fps, "en", s.audio, s.sample_rate)
        t2 = time.perf_counter()
        frames = list(speaking_frames(face, track))
        t3 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            write_mp4(os.path.join(tmp, "t.mp4"), frames, track.fps, s.audio, s.sample_rate)
        t4 = time.perf_counter()
        seconds = s.duration_ms / 1000
        speech_s += seconds
        for name, dt in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            totals[name] += dt
        front = t3 - t0
        print(f"sentence {k}: {seconds:5.2f} s of speech, {len(frames)} frames: TTS {1000 * (t1 - t0):6.1f} ms, "
              f"articulation {1000 * (t2 - t1):5.1f} ms, frames {1000 * (t3 - t2):7.1f} ms "
              f"-> {seconds / front:5.1f}x real time (encode {1000 * (t4 - t3):.0f} ms)")
    front = totals["tts"] + totals["articulation"] + totals["frames"]
    for name, dt in totals.items():
        print(f"  {name:<13} {speech_s / dt:8.1f}x real time")
    print(f"TTS + articulation + target frames: {speech_s / front:.1f}x real time (target: at least 20x)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB (target: at most 1024 MiB)")


if __name__ == "__main__":
    main()
