"""A small real babbling dataset and quick models trained on it, shared by the lip-sync tests."""

import pytest

from mirrorface.cli.main import main
from mirrorface.lipsync.train_fat import QUICK_MODEL as FAT_QUICK
from mirrorface.lipsync.train_fat import FATTraining, train_fat
from mirrorface.lipsync.train_vae import QUICK_MODEL as VAE_QUICK
from mirrorface.lipsync.train_vae import VAETraining, train_vae
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model


@pytest.fixture(scope="session")
def babble_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("babble") / "lips10"
    assert main(["babble", "--face", "lips10", "--frames", "240", "--episode-frames", "120",
                 "--out", str(root), "--quiet"]) == 0
    return root


@pytest.fixture(scope="session")
def quick_models(babble_data, tmp_path_factory):
    """A folder with vae/ and fat/ trained by the package's own functions, a few steps each."""
    folder = tmp_path_factory.mktemp("models")
    train_vae(babble_data, folder / "vae", VAETraining.quick(), VAE_QUICK)
    vae = load_model(VAE, VAEConfig, folder / "vae")
    train_fat(vae, babble_data, folder / "fat", FATTraining.quick(), FAT_QUICK)
    return folder
