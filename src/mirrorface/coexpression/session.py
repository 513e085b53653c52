"""Wiring the coexpression pieces together once, for the CLI, the evaluation and the benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from mirrorface.coexpression.inverse import DEFAULT_CHECKPOINT, FastInverse, load_inverse, robot_range_of
from mirrorface.coexpression.loop import CoexpressionLoop, LoopConfig
from mirrorface.coexpression.normalize import DEFAULT_K, RobotRange
from mirrorface.coexpression.predictive import FastPredictive, load_predictive
from mirrorface.coexpression.selfmodel import CommandSet
from mirrorface.coexpression.smoothing import SmootherConfig
from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import FaceSpec
from mirrorface.hardware.face import Face
from mirrorface.training.folder import read_meta


@dataclass(frozen=True)
class Parts:
    """The two trained models and what the loop derives from them."""

    inverse: object  # models.inverse.InverseModel
    predictive: object  # models.predictive.PredictiveModel
    outputs: CommandSet
    robot: RobotRange
    inverse_meta: dict  # how the inverse model was trained (its data's frames and seed)
    commands: FastInverse  # the inverse model as the loop runs it: landmarks (..., 113, 2) -> commands
    predict: FastPredictive  # the loop's predictive model: frames (..., 4, 113, 2), rest (..., 113, 2) -> (..., 113, 2)


def load_parts(spec: FaceSpec, inverse: Path | None = None, predictive: Path | None = None) -> Parts:
    """Load both checkpoints (the shipped ones by default) and check that the inverse model is this face's."""
    model = load_inverse(inverse)
    if model.config.face != spec.name:
        raise MirrorfaceError(f"the inverse model was trained on face {model.config.face!r}, not {spec.name!r}: "
                              f"train one with `mirrorface train inverse --face {spec.name}"
                              f"{'' if spec.symmetric else ' --asymmetric'} --out DIR`")
    outputs = CommandSet.of(spec, model.config.symmetric)
    if len(outputs) != model.config.n_commands:
        raise MirrorfaceError(f"the inverse model outputs {model.config.n_commands} commands; face {spec.name!r} "
                              f"has {len(outputs)}")
    predictive_model = load_predictive(predictive)
    return Parts(model, predictive_model, outputs, robot_range_of(model), read_meta(inverse or DEFAULT_CHECKPOINT),
                 FastInverse(model), FastPredictive(predictive_model))


def loop_config(mode: str, rate: float = LoopConfig.rate_hz, k: float | None = None, realtime: bool = False,
                smoothing: SmootherConfig | None = None, camera_fps: float = LoopConfig.camera_fps) -> LoopConfig:
    return LoopConfig(mode=mode, rate_hz=rate, camera_fps=camera_fps, k=DEFAULT_K if k is None else k,
                      realtime=realtime, smoothing=smoothing or SmootherConfig())


def smoothing_of(text: str) -> SmootherConfig:
    """'off' (the faces as the camera gives them) or 'MIN_CUTOFF_HZ,BETA' -> the loop's smoother settings."""
    if text.strip().lower() == "off":
        return SmootherConfig(min_cutoff=math.inf)
    try:
        min_cutoff, beta = (float(part) for part in text.split(","))
    except ValueError:
        raise MirrorfaceError(f"--smoothing takes 'off' or 'MIN_CUTOFF_HZ,BETA' (the shipped: "
                              f"{SmootherConfig().min_cutoff:g},{SmootherConfig().beta:g}), got {text!r}") from None
    return SmootherConfig(min_cutoff=min_cutoff, beta=beta)


def make_loop(face: Face, parts: Parts, config: LoopConfig) -> CoexpressionLoop:
    return CoexpressionLoop(face, parts.predict, parts.commands, parts.robot, parts.outputs, config)
