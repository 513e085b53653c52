"""The report's PNG writers: each writes a readable image that shows what it should."""

from __future__ import annotations

import numpy as np

from mirrorface.eval.plots import contact_sheet, error_curves, language_bars, trajectories
from mirrorface.images import load_image

TAB_RED = np.array([214, 39, 40])


def red_pixels(path) -> int:
    image = load_image(path).astype(int)
    return int(np.sum(np.abs(image - TAB_RED).sum(axis=2) < 30))


def test_language_bars_flag_only_languages_outside_the_english1_band(tmp_path):
    labels = ["English1", "English2", "French", "Japanese"]
    inside = language_bars(labels, [0.010, 0.011, 0.009, 0.012], [0.004] * 4, [120, 131, 140, 98],
                           tmp_path / "inside.png", band=(0.010, 0.004))
    outside = language_bars(labels, [0.010, 0.011, 0.009, 0.030], [0.004] * 4, [120, 131, 140, 98],
                            tmp_path / "outside.png", band=(0.010, 0.004))
    plain = language_bars(labels, [0.010, 0.011, 0.009, 0.030], [0.004] * 4, [120, 131, 140, 98],
                          tmp_path / "sub" / "plain.png")
    assert red_pixels(inside) == 0 and red_pixels(plain) == 0
    assert red_pixels(outside) > 500  # one bar drawn in the warning colour
    assert plain.parent.name == "sub" and load_image(plain).shape[2] == 3


def test_error_curves_and_trajectories(tmp_path):
    rng = np.random.default_rng(0)
    errors = {"ours": rng.uniform(0, 0.02, 90), "shift 0.5 s": rng.uniform(0, 0.05, 90)}
    curves = load_image(error_curves(errors, 30, tmp_path / "errors.png", title="sentence 1"))
    names = [f"actuator {i}" for i in range(10)]
    commands = {"ours": rng.uniform(size=(90, 10)), "random": rng.uniform(size=(90, 10))}
    tall = load_image(trajectories(commands, names, 30, tmp_path / "traj.png", title="sentence 1"))
    short = load_image(trajectories({k: v[:, :3] for k, v in commands.items()}, names[:3], 30,
                                    tmp_path / "traj3.png"))
    assert curves.shape[1] > curves.shape[0]  # a wide time plot
    assert tall.shape[0] > short.shape[0]  # one panel per actuator


def test_contact_sheet_pairs_target_and_robot_frames(tmp_path):
    target = [np.full((64, 48, 3), 10 * k, np.uint8) for k in range(20)]
    robot = [np.full((64, 48, 3), 200, np.uint8) for _ in range(20)]
    sheet = load_image(contact_sheet(target, robot, 30, tmp_path / "word.png", columns=5))
    assert sheet.shape == (128, 240, 3)  # targets above, robot below, 5 evenly spaced frames
    assert [int(np.median(sheet[24:64, 48 * c : 48 * (c + 1)])) for c in range(5)] == [0, 50, 100, 140, 190]
    assert np.all(sheet[88:, :, :] == 200)  # the robot row, below the labels
    few = load_image(contact_sheet(target[:3], robot, 30, tmp_path / "few.png", columns=8))
    assert few.shape == (128, 144, 3)
