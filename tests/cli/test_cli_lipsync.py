import json
import shutil
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import torch

from mirrorface.cli.main import main
from mirrorface.data.video import count_frames
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.training.checkpoint import load_model, save_model


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    return err[0]


def test_say_writes_trajectory_and_side_by_side_video(quick_models, tmp_path):
    out = tmp_path / "papa.mp4"
    assert main(["say", "papa", "--models", str(quick_models), "--out", str(out)]) == 0
    table = pq.read_table(out.with_suffix(".parquet"))
    assert table.column_names[0] == "time_s" and "jaw" in table.column_names
    assert count_frames(out) == table.num_rows > 10
    times = table.column("time_s").to_numpy()
    assert np.allclose(np.diff(times), 1 / 30)


def test_say_csv_without_video(quick_models, tmp_path):
    path = tmp_path / "cmd.csv"
    assert main(["say", "hola", "--lang", "es", "--models", str(quick_models), "--trajectory", str(path),
                 "--no-video", "--out", str(tmp_path / "x.mp4")]) == 0
    header = path.read_text().splitlines()[0].split(",")
    assert header[0] == "time_s" and len(header) == 11
    assert not (tmp_path / "x.mp4").exists()


def test_say_trajectory_is_what_the_safety_layer_sent(quick_models, tmp_path, lips10):
    path = tmp_path / "sent.csv"
    assert main(["say", "papa bob", "--models", str(quick_models), "--trajectory", str(path), "--no-video"]) == 0
    rows = np.loadtxt(path, delimiter=",", skiprows=1)[:, 1:]
    steps = np.abs(np.diff(np.vstack([lips10.neutral, rows]), axis=0))
    assert np.all(steps <= lips10.speed / 30 + 2e-5)  # 2e-5: the CSV's 5 decimals
    assert np.all((rows >= lips10.lower - 1e-5) & (rows <= lips10.upper + 1e-5))


def test_say_bad_input_is_one_error_line(quick_models, tmp_path, capsys):
    assert main(["say", "papa", "--models", str(quick_models), "--trajectory", str(tmp_path / "t.txt")]) == 1
    assert ".parquet or .csv" in _one_error_line(capsys)
    assert main(["say", "--models", str(quick_models)]) == 1
    _one_error_line(capsys)
    assert main(["say", "papa", "--lang", "xx-nope", "--models", str(quick_models)]) == 1
    _one_error_line(capsys)
    assert main(["say", "papa", "--models", str(tmp_path)]) == 1
    assert "train vae" in _one_error_line(capsys)


def test_train_commands_refuse_bad_input(tmp_path, capsys):
    assert main(["train", "vae", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "v")]) == 1
    _one_error_line(capsys)
    assert main(["train", "fat", "--data", str(tmp_path), "--vae", str(tmp_path / "none"),
                 "--out", str(tmp_path / "f")]) == 1
    _one_error_line(capsys)


def test_train_fat_quick_from_the_cli(babble_data, quick_models, tmp_path):
    out = tmp_path / "fat"
    assert main(["train", "fat", "--data", str(babble_data), "--vae", str(quick_models / "vae"), "--out", str(out),
                 "--quick", "--quiet"]) == 0
    assert (out / "model.safetensors").is_file() and (out / "figures.json").is_file()
    assert main(["train", "fat", "--data", str(babble_data), "--vae", str(quick_models / "vae"),
                 "--out", str(out), "--quick", "--quiet"]) == 1  # refuses to overwrite without --force


def test_say_beside_a_stale_graph_runs_the_weights_on_pytorch_after_one_line(quick_models, tmp_path):
    """A retrained FAT beside its old fat.onnx: the new weights run, and the user is told once."""
    folder = tmp_path / "models"
    shutil.copytree(quick_models, folder)
    fat = load_model(FAT, FATConfig, folder / "fat")
    with torch.no_grad():
        fat.head.bias.add_(0.1)
    save_model(fat, folder / "fat")  # fat.onnx stays: the graph of the weights before
    argv = [sys.executable, "-m", "mirrorface", "say", "papa", "--models", str(folder), "--no-video",
            "--trajectory", str(tmp_path / "t.csv"), "--out", str(tmp_path / "say.mp4")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 0, result.stderr
    assert len(lines) == 1 and "fat.onnx was exported from other weights" in lines[0], lines
    assert main(["export", "onnx", "--models", str(folder), "--check", "0"]) == 0  # regenerated: silent again
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_eval_articulation_prints_rates_beside_their_late_control(tmp_path, capsys):
    out = tmp_path / "articulation.json"
    assert main(["eval", "articulation", "--quick", "--paths", "text/planned", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "500 ms late" in printed and "text/planned" in printed
    report = json.loads(out.read_text())
    assert report["paths"]["text/planned"]["bilabial"]["rate"] == 1.0
    assert "95% intervals, bootstrap over 2 sentences" in printed  # --quick: too few for an interval
    assert report["paths"]["text/planned"]["intervals95"]["bilabial"] is None
    assert main(["eval", "articulation", "--paths", "text/guessed"]) != 0
    assert "text/guessed" in _one_error_line(capsys)
