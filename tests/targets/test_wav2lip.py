"""The optional Wav2Lip generator: layout, safe checkpoint loading, and its audio features."""

import numpy as np
import pytest
import torch

from mirrorface.errors import MirrorfaceError
from mirrorface.targets.wav2lip import (
    Wav2Lip,
    face_input,
    load_wav2lip,
    mel_spectrogram,
    mel_windows,
)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    net = Wav2Lip()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so that loading them matters
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return net.eval()


@pytest.fixture(scope="module")
def checkpoint(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("w2l") / "random.pth"
    torch.save(model.state_dict(), path)
    return path


def batch(b=2):
    g = torch.Generator().manual_seed(1)
    return torch.rand(b, 1, 80, 16, generator=g) * 8 - 4, torch.rand(b, 6, 96, 96, generator=g)


def test_layout_matches_the_original_state_dict(model):
    keys = model.state_dict().keys()
    for key in (
        "face_encoder_blocks.0.0.conv_block.0.weight",  # 7x7 stem
        "face_encoder_blocks.6.1.conv_block.1.running_var",
        "audio_encoder.12.conv_block.0.bias",
        "face_decoder_blocks.1.0.conv_block.0.weight",  # first transposed convolution
        "face_decoder_blocks.6.2.conv_block.1.num_batches_tracked",
        "output_block.0.conv_block.0.weight",
        "output_block.1.weight",
    ):
        assert key in keys
    assert model.face_decoder_blocks[1][0].conv_block[0].weight.shape == (1024, 512, 3, 3)
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(36.3e6, rel=0.01)


def test_checkpoint_round_trip_maps_faces_and_mel_to_faces(model, checkpoint):
    loaded = load_wav2lip(checkpoint)
    assert not loaded.training
    audio, face = batch()
    with torch.no_grad():
        out = loaded(audio, face)
        assert torch.equal(out, model(audio, face))
    assert out.shape == (2, 3, 96, 96)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_original_checkpoint_format_loads(model, tmp_path):
    state = {"module." + k: v for k, v in model.state_dict().items()}  # saved from DataParallel
    path = tmp_path / "wav2lip.pth"
    torch.save({"state_dict": state, "global_step": 3, "global_epoch": 1}, path)
    loaded = load_wav2lip(path)
    name = "face_encoder_blocks.3.1.conv_block.0.weight"
    assert torch.equal(loaded.state_dict()[name], model.state_dict()[name])


class NotWeights:
    pass


def test_bad_checkpoints_give_one_clear_error(model, tmp_path):
    with pytest.raises(MirrorfaceError, match="not found"):
        load_wav2lip(tmp_path / "missing.pth")
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"\x80\x02 definitely not a checkpoint" * 10)
    with pytest.raises(MirrorfaceError, match="cannot read"):
        load_wav2lip(corrupt)
    pickled = tmp_path / "object.pth"
    torch.save({"state_dict": NotWeights()}, pickled)  # weights_only refuses arbitrary objects
    with pytest.raises(MirrorfaceError, match="cannot read"):
        load_wav2lip(pickled)
    other = tmp_path / "other.pth"
    torch.save(torch.nn.Linear(3, 4).state_dict(), other)
    with pytest.raises(MirrorfaceError, match="not a Wav2Lip generator checkpoint"):
        load_wav2lip(other)
    state = dict(model.state_dict())
    state["output_block.1.weight"] = torch.zeros(3, 16, 1, 1)
    misshaped = tmp_path / "misshaped.pth"
    torch.save(state, misshaped)
    with pytest.raises(MirrorfaceError, match="1 mis-shaped"):
        load_wav2lip(misshaped)


def test_mel_spectrogram_matches_wav2lip_features():
    sr = 16_000
    tone = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(sr) / sr)
    mel = mel_spectrogram(tone)
    assert mel.shape == (80, 81) and mel.dtype == np.float32
    assert mel.min() >= -4.0 and mel.max() <= 4.0
    assert int(mel.mean(axis=1).argmax()) in (25, 26)  # 1 kHz = 15 Slaney mel, band 25 of 55-7600 Hz
    assert np.all(mel_spectrogram(np.zeros(sr)) == -4.0)
    with pytest.raises(MirrorfaceError):
        mel_spectrogram(np.zeros(0))


def test_inputs_are_shaped_for_the_generator():
    mel = mel_spectrogram(np.random.default_rng(0).normal(0, 0.1, 16_000))
    windows = mel_windows(mel, fps=25, n_frames=25)
    assert windows.shape == (25, 1, 80, 16)
    assert torch.equal(windows[-1, 0], torch.from_numpy(mel[:, -16:]))
    faces = np.full((2, 96, 96, 3), 200, np.uint8)
    x = face_input(faces, faces)
    assert x.shape == (2, 6, 96, 96)
    assert float(x[:, :3, 48:].abs().max()) == 0.0 and float(x[:, :3, :48].min()) > 0.7
