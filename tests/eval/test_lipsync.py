import json

import numpy as np

from mirrorface.cli.main import main
from mirrorface.data.babbling import Sampler
from mirrorface.eval.lipsync import perform_and_score
from mirrorface.lipsync import baselines
from mirrorface.lipsync.latents import encode_frames
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model


def test_shift_baseline_errors_grow_with_the_shift(lips10, quick_models):
    """Targets are the frames of performing known commands; shifting those commands must cost more the
    further they are shifted, and not shifting them costs nothing (same face, same camera noise)."""
    scorer = {"s": load_model(VAE, VAEConfig, quick_models / "vae")}
    commands = Sampler("speech").commands(lips10, 60, np.random.default_rng(3), 30.0)
    target = perform_and_score(lips10, commands, scorer, {"s": np.zeros((60, scorer["s"].config.latent))}, seed=5)
    latents = {"s": encode_frames(scorer["s"], target.frames)}
    errors = [perform_and_score(lips10, baselines.shifted(commands, 30.0, shift), scorer, latents, seed=5)
              .errors["s"].mean() for shift in (0.0, 0.033, 0.5)]
    assert errors[0] < 1e-9
    assert errors[0] < errors[1] < errors[2]


def test_eval_lipsync_writes_a_report(quick_models, babble_data, tmp_path):
    out = tmp_path / "report"
    assert main(["eval", "lipsync", "--models", str(quick_models), "--scorer", str(quick_models / "vae"),
                 "--data", str(babble_data), "--out", str(out), "--quick"]) == 0
    report = json.loads((out / "report.json").read_text())
    row = report["table1"]["Sentence 1"]
    assert set(row) == {"ours", "nearest_landmarks", "amplitude", "shift_0.033", "shift_0.5", "random"}
    assert row["ours"]["independent"]["n"] > 10
    assert report["articulation"]["ours"]["bilabial"]["n"] >= 2  # "Papa, be brave": p, p, b, b
    assert (out / "report.md").read_text().count("|") > 20
    assert (out / "figures" / "languages.png").is_file() and (out / "figures" / "sentence_1_error.png").is_file()


def test_eval_lipsync_without_models_is_one_error_line(tmp_path, capsys):
    assert main(["eval", "lipsync", "--models", str(tmp_path), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


def test_eval_lipsync_records_its_missing_dataset_from_a_clean_directory(quick_models, tmp_path, monkeypatch, capsys):
    """No data/ yet: it says where it records and for how long, records with the library, then evaluates."""
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "lipsync", "--models", str(quick_models), "--scorer", str(quick_models / "vae"),
                 "--out", "report", "--quick", "--data-frames", "60"]) == 0
    said = capsys.readouterr().err
    assert f"recording 60 frames of speech babbling into {tmp_path / 'data' / 'lips10-babble'}" in said
    assert "about 1 s" in said
    info = json.loads((tmp_path / "data/lips10-babble/meta/info.json").read_text())
    assert info["total_frames"] == 60 and info["sampler"] == "speech" and info["near_rest"] is False
    assert (tmp_path / "report" / "report.json").is_file()
