import json

import numpy as np

from mirrorface.lipsync.matching import Sequence
from mirrorface.lipsync.train_fat import fat_config_for, windows
from mirrorface.lipsync.train_vae import QUICK_MODEL, VAETraining, train_vae
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model


def test_quick_models_are_complete_checkpoints(quick_models):
    vae = load_model(VAE, VAEConfig, quick_models / "vae")
    fat = load_model(FAT, FATConfig, quick_models / "fat")
    assert vae.config.crop_size > 0  # the crop was placed from the babbling landmarks
    assert fat.config.n_actions == 10
    meta = json.loads((quick_models / "fat" / "config.json").read_text())["training"]
    assert meta["data_info"]["matched_frames"] > 0 and meta["data_info"]["babble_frames"] == 240
    assert not list(quick_models.rglob("*.pt")) and not list(quick_models.rglob("*.pkl"))


def test_vae_training_resumes_where_it_stopped(babble_data, tmp_path):
    settings = VAETraining.quick()
    first = train_vae(babble_data, tmp_path, settings, QUICK_MODEL)
    assert first["step"] == settings.finetune.steps
    longer = VAETraining(**{**settings.__dict__, "finetune": settings.finetune.__class__(
        **{**settings.finetune.__dict__, "steps": settings.finetune.steps + 5})})
    resumed = train_vae(babble_data, tmp_path, longer, QUICK_MODEL, resume=True)
    assert resumed["step"] == settings.finetune.steps + 5
    assert len(resumed["losses"]) == 5  # pretraining was complete and skipped; fine-tuning went on


def test_windows_pair_previous_commands_with_next_latents():
    commands = np.arange(6, dtype=np.float32)[:, None].repeat(2, 1)
    latents = 10 + np.arange(6, dtype=np.float32)[:, None]
    closing = np.array([0, 0, 1, 0, 0, 0], bool)
    actions, lat, target, shut = windows([Sequence(commands, latents, closing)], history=2, horizon=2, reverse=True)
    assert actions.shape == (6, 2, 2) and lat.shape == (6, 2, 1) and target.shape == (6, 2, 2)
    assert shut.shape == (6, 2) and shut[0].tolist() == [1, 0]  # the closure travels with its target frame
    assert shut[3].tolist() == [0, 1]  # reversed copy: frames 3, 2
    assert actions[0, :, 0].tolist() == [0, 1] and lat[0, :, 0].tolist() == [12, 13]
    assert target[0, :, 0].tolist() == [2, 3]
    assert actions[3, :, 0].tolist() == [5, 4] and target[3, :, 0].tolist() == [3, 2]  # reversed copy


def test_fat_closure_actuators_come_from_the_spec(lips10, emo26):
    config = fat_config_for(lips10)
    assert config.closure_index == (0, 1, 4) and config.closure_sign == (-1, 1, -1)
    emo = fat_config_for(emo26)
    assert emo.n_actions == 26 and [emo26.names[i] for i in emo.closure_index] == [
        "upper_lip_center", "lower_lip_center", "jaw"]


def test_the_lead_and_the_jaws_lead_are_calibrated_together(quick_models, lips10):
    from mirrorface.lipsync.train_fat import JAW_LEADS, LEADS, choose_lead, jaw_lead

    config = json.loads((quick_models / "fat" / "config.json").read_text())
    scores = config["training"]["lead_scores"]
    assert sorted((s["lead"], s["jaw_lead"]) for s in scores.values()) == [(f, j) for f in LEADS for j in JAW_LEADS]
    lead, jaw = choose_lead(scores)
    fat = load_model(FAT, FATConfig, quick_models / "fat")
    assert (fat.config.lead, fat.config.actuator_lead) == (lead, jaw_lead(lips10, jaw))


def test_closures_choose_the_lead_among_those_near_the_best_latent_error():
    from mirrorface.lipsync.train_fat import LATENT_SLACK, choose_lead

    def score(lead, jaw, mse, mismatch):
        return {f"{lead}+{jaw}": {"lead": lead, "jaw_lead": jaw, "latent_mse": mse, "closure_mismatch": mismatch}}

    near = 1 + LATENT_SLACK - 0.01
    scores = {**score(2.0, 0.0, 1.0, 0.20), **score(1.5, 0.5, near, 0.10), **score(1.0, 1.0, 1.5, 0.01)}
    assert choose_lead(scores) == (1.5, 0.5)  # better closures within the slack; the best closures are outside it
    scores.update(score(2.5, 0.0, 1.1, 0.10))
    assert choose_lead(scores) == (2.5, 0.0)  # a tie on closures goes to the lower latent error
