"""How well can any inverse model read emo26's commands from its landmarks? (issue 17)

Run: `.venv/bin/python benchmarks/inverse_floor.py [--data data/emo26-selfmodel]` (about 2 min on
one thread; needs the self-model data that `mirrorface train inverse` records).

- Measurement noise: 12 settled poses of the face moving both halves, filmed 8 times each
  (camera noise, MediaPipe): the standard deviation of each landmark coordinate.
- Is the face a function of its commands? Pairs of training frames whose commands agree within
  0.005 should differ by the noise alone (root mean square √2 times its SD).
- How nonlinear: the residual of a linear fit commands -> landmarks on 100,000 training joins,
  against the landmarks' own spread.
- The floor: a forward model (commands -> landmarks, an MLP fitted on the training joins) gives
  each held-out face's Jacobian J; with landmark noise of SD s, no unbiased reading of the
  commands does better than the Cramér-Rao covariance s² (JᵀJ)⁻¹. Its standard deviations,
  turned into an expected L1 (×√(2/π), capped at a command's range), are a floor per command,
  for dense and sparse poses. The forward model is imperfect, so read it as an estimate.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mirrorface.coexpression.inverse import MOVED, cross_product, fit_linear  # noqa: E402
from mirrorface.coexpression.selfmodel import (  # noqa: E402
    SymmetricSampler,
    load_frames,
    load_selfmodel,
    resting_landmarks,
)
from mirrorface.face.spec import load_spec  # noqa: E402
from mirrorface.hardware.face import make_face  # noqa: E402
from mirrorface.perception.landmarks import FaceMeshDetector  # noqa: E402
from mirrorface.perception.subset import subset  # noqa: E402


def measurement_noise(spec, poses: int = 12, frames: int = 8) -> float:
    """Mean SD of a landmark coordinate over repeated frames of one settled pose."""
    sds = []
    commands = SymmetricSampler("both").commands(spec, poses, np.random.default_rng(3), spec.camera.fps)
    with make_face(spec, seed=11) as face, FaceMeshDetector(video=False) as detect:
        for command in commands:
            face.send(command)
            face.advance(1.0)  # longer than any actuator takes to cross its range and settle
            found = []
            for _ in range(frames):
                if (mesh := detect(face.read_frame())) is not None:
                    found.append(mesh)
                face.advance(1.0 / spec.camera.fps)
            sds.append(subset(np.array(found)).std(0, ddof=1).mean())
    return float(np.mean(sds))


def twin_frames(data) -> list[str]:
    """Landmark RMS difference of frames (same half) whose commands agree within 0.005."""
    lines = []
    for name, frames, own in (("upper", data.upper, np.array(data.outputs.upper)),
                              ("lower", data.lower, ~np.array(data.outputs.upper))):
        c, flat = frames.commands[:, own], frames.landmarks.reshape(len(frames), -1)
        i, j = np.triu_indices(len(c), 1)
        twins = np.abs(c[i] - c[j]).max(-1) < 0.005
        rms = np.sqrt(((flat[i[twins]] - flat[j[twins]]) ** 2).mean(-1))
        lines.append(f"{name}: {twins.sum()} pairs, median RMS difference {np.median(rms):.5f}")
    return lines


def forward_model(x: np.ndarray, y: np.ndarray, steps: int = 4000) -> torch.nn.Module:
    """commands (N, C) -> landmark displacements (N, 226), an MLP in landmark units."""
    mean, sd = torch.tensor(x.mean(0)), torch.tensor(x.std(0) + 1e-4)
    net = torch.nn.Sequential(torch.nn.Linear(y.shape[1], 256), torch.nn.SiLU(), torch.nn.Linear(256, 256),
                              torch.nn.SiLU(), torch.nn.Linear(256, x.shape[1]))
    opt = torch.optim.AdamW(net.parameters(), 2e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=steps)
    xt, yt = (torch.tensor(x) - mean) / sd, torch.tensor(y)
    for _ in range(steps):
        i = torch.randint(0, len(yt), (512,))
        loss = ((net(yt[i]) - xt[i]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    return lambda c: net(c) * sd + mean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/emo26-selfmodel"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    started = time.perf_counter()
    spec = load_spec("emo26")
    noise = measurement_noise(spec)
    print(f"landmark measurement noise: SD {noise:.5f} a coordinate (repeated frames of settled poses)")
    rest = resting_landmarks(spec)
    train, held_out = load_selfmodel(spec, args.data, rest).split()
    print(f"frames with the same commands (pure noise: RMS {noise * np.sqrt(2):.5f}):", "; ".join(twin_frames(train)))
    landmarks, commands = train.recombine(np.random.default_rng(0), 100_000)
    x = (landmarks - rest).reshape(len(landmarks), -1)
    design = np.hstack([commands, np.ones((len(commands), 1), np.float32)])
    residual = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    print(f"linear fit commands -> landmarks: residual SD {residual.std(0).mean():.5f} a coordinate, "
          f"landmarks' own SD {x.std(0).mean():.5f}")
    forward = forward_model(x, commands)
    neutral = train.outputs.from_face(spec.neutral)
    linear = fit_linear(train, np.random.default_rng(0))
    for name, test in (("held-out joins", cross_product(held_out)),
                       ("the face moving both halves", load_frames(args.data / "both", train.outputs))):
        pick = np.random.default_rng(1).choice(len(test), min(len(test), 6000), replace=False)
        c = torch.tensor(test.commands[pick])
        with torch.no_grad():
            fit = (forward(c).numpy() - (test.landmarks[pick] - rest).reshape(len(pick), -1)).std(0).mean()
        jacobians = torch.func.vmap(torch.func.jacrev(forward))(c).detach().numpy()  # (n, 226, C)
        information = np.einsum("nki,nkj->nij", jacobians, jacobians) / noise**2
        sd = np.sqrt(np.clip(np.diagonal(np.linalg.inv(information), axis1=1, axis2=2), 0, None))
        floor = np.sqrt(2 / np.pi) * np.minimum(sd, 0.25)  # |error| of a Gaussian; a command spans [0, 1]
        dense = (np.abs(test.commands[pick] - neutral) > MOVED).sum(-1) > len(neutral) / 2
        lsq = np.abs(linear(test.landmarks[pick]) - test.commands[pick]).mean(-1)
        print(f"{name}: floor L1 per command {floor.mean():.4f} (dense {floor[dense].mean():.4f}, sparse "
              f"{floor[~dense].mean():.4f}); linear least squares {lsq.mean():.4f} (dense {lsq[dense].mean():.4f}, "
              f"sparse {lsq[~dense].mean():.4f}); forward model's residual SD {fit:.5f}")
        print("  floor by command: " + ", ".join(f"{n} {v:.3f}" for n, v in zip(train.outputs.names, floor.mean(0),
                                                                                  strict=True)))
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
