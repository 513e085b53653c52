"""How well the simulated face serves as a stand-in robot, measured two ways.

1. Perception: the share of frames, rendered from random safe poses, in which MediaPipe face
   mesh (static-image mode, every frame on its own) finds the face.
2. Nonlinearity: how badly a linear map predicts lip landmarks from commands. A linear
   least-squares fit and a small MLP are both trained on 80% of the poses and scored on the
   held-out 20% (RMSE in pixels over the 40 MediaPipe lip landmarks). If the linear fit were
   about as good, a face "learned from self-observation" would need no learning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from mirrorface.data.babbling import Sampler, random_safe_poses
from mirrorface.face.sim.painter import Painter
from mirrorface.face.spec import FaceSpec
from mirrorface.models.mlp import MLP, MLPConfig
from mirrorface.perception.landmarks import FaceMeshDetector, lip_indices


@dataclass
class ProbeResult:
    face: str
    sampler: str
    samples: int
    detected: int
    detection_rate: float
    linear_rmse_px: float
    mlp_rmse_px: float
    nonlinearity_ratio: float  # linear error / MLP error

    def as_dict(self) -> dict:
        return asdict(self)


def fit_linear(x_train, y_train, x_test):
    design = np.column_stack([x_train, np.ones(len(x_train))])
    coef, *_ = np.linalg.lstsq(design, y_train, rcond=None)
    return np.column_stack([x_test, np.ones(len(x_test))]) @ coef


def fit_mlp(x_train, y_train, x_test, seed: int, epochs: int = 600):
    torch.manual_seed(seed)
    mean, std = y_train.mean(0), y_train.std(0) + 1e-6
    x = torch.tensor(x_train, dtype=torch.float32)
    y = torch.tensor((y_train - mean) / std, dtype=torch.float32)
    model = MLP(MLPConfig(x.shape[1], y.shape[1], hidden=128, layers=3))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=gen).split(64):
            loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    with torch.no_grad():
        pred = model(torch.tensor(x_test, dtype=torch.float32)).numpy()
    return pred * std + mean


def probe_face(spec: FaceSpec, samples: int = 1000, sampler: str = "uniform", seed: int = 0,
               progress=None) -> ProbeResult:
    face = Painter(spec, seed=seed)
    rng = np.random.default_rng(seed)
    poses = random_safe_poses(spec, samples, rng, Sampler(sampler).moving(spec))
    lips = lip_indices()
    size = np.array([spec.camera.width, spec.camera.height])
    found_poses, found_lips = [], []
    with FaceMeshDetector(video=False) as detect:
        for k, pose in enumerate(poses):
            landmarks = detect(face.render_pose(pose))
            if landmarks is not None:
                found_poses.append(pose)
                found_lips.append((landmarks[lips, :2] * size).reshape(-1))
            if progress:
                progress(k + 1)
    x, y = np.array(found_poses), np.array(found_lips)
    split = int(0.8 * len(x))
    order = rng.permutation(len(x))
    train, test = order[:split], order[split:]

    def rmse(pred):
        err = (pred - y[test]).reshape(len(test), -1, 2)
        return float(np.sqrt(np.mean(np.sum(err**2, -1))))

    linear = rmse(fit_linear(x[train], y[train], x[test]))
    mlp = rmse(fit_mlp(x[train], y[train], x[test], seed))
    return ProbeResult(spec.name, sampler, samples, len(x), len(x) / samples, linear, mlp, linear / mlp)
