import logging
import shutil

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorface.articulation.sources import from_text
from mirrorface.errors import MirrorfaceError
from mirrorface.face.sim.painter import Painter
from mirrorface.lipsync.eager import StreamingFAT
from mirrorface.lipsync.execute import execute
from mirrorface.lipsync.latents import encode_crops
from mirrorface.lipsync.speak import LipSyncModels, lead, plan_speech, stream_commands
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import load_model, save_model


def test_plan_speech_gives_one_command_per_camera_frame(quick_models, lips10):
    models = LipSyncModels.load(lips10, quick_models)
    plan = plan_speech(from_text("papa", "en"), Painter(lips10), models)
    assert plan.commands.shape == (len(plan.track), lips10.n)
    assert plan.latents.shape == (len(plan.track), models.vae_config.latent)
    assert np.isfinite(plan.commands).all() and (plan.commands >= 0).all() and (plan.commands <= 1).all()


def test_streaming_feeds_on_its_own_commands(quick_models, lips10):
    models = LipSyncModels.load(lips10, quick_models)
    latents = np.random.default_rng(0).normal(size=(5, models.vae_config.latent)).astype(np.float32)
    streamed = np.stack(list(stream_commands(StreamingFAT(models.fat, lips10.neutral), latents)))
    stream = StreamingFAT(models.fat, lips10.neutral)
    first = stream.step(latents[:2])
    second = stream.step(latents[1:3])
    assert np.allclose(streamed[0], first) and np.allclose(streamed[1], second)
    assert np.allclose(stream.history[0, -1].numpy(), second)  # the history is the model's own output


@settings(max_examples=25, deadline=None)
@given(frames=st.integers(1, 40), lead_frames=st.integers(0, 3), cuts=st.lists(st.integers(0, 40), max_size=5))
def test_streaming_blocks_as_they_come_equals_streaming_the_led_whole(quick_models, lips10, frames, lead_frames, cuts):
    models = LipSyncModels.load(lips10, quick_models)
    latents = np.random.default_rng(frames).normal(size=(frames, models.vae_config.latent)).astype(np.float32)
    whole = list(stream_commands(StreamingFAT(models.fat, lips10.neutral), lead(latents, lead_frames)))
    blocks = np.split(latents, sorted(c for c in cuts if c < frames))
    pieces = list(stream_commands(StreamingFAT(models.fat, lips10.neutral), iter(blocks), lead_frames))
    assert len(pieces) == frames and np.allclose(np.stack(pieces), np.stack(whole), atol=1e-6)


def test_the_trained_folder_runs_on_its_onnx_graphs_with_the_same_results(quick_models, lips10):
    models = LipSyncModels.load(lips10, quick_models)
    assert models.encoder is not None and models.fat_session is not None  # `train vae|fat` wrote current graphs
    assert models.runtimes == "VAE encoder on onnxruntime, FAT on onnxruntime"
    latents = np.random.default_rng(1).normal(size=(12, models.vae_config.latent)).astype(np.float32)
    onnx = np.stack(list(stream_commands(models.stream(lips10.neutral), latents)))
    eager = np.stack(list(stream_commands(StreamingFAT(models.fat, lips10.neutral), latents)))
    assert np.abs(onnx - eager).max() < 1e-5 and np.abs(np.diff(eager, axis=0)).max() > 1e-4
    s = models.vae_config.image_size
    crops = np.random.default_rng(2).integers(0, 256, (7, s, s, 3), dtype=np.uint8)
    got, want = models.encode(crops), encode_crops(models.vae, crops)
    assert got.shape == want.shape == (7, models.vae_config.latent)
    assert np.abs(got - want).max() < 1e-4 and want.std(0).min() > 1e-4  # latents that vary with the crop


@pytest.mark.parametrize("model, graph", [("fat", "fat.onnx"), ("vae", "vae_encoder.onnx")])
def test_a_stale_onnx_graph_is_not_used(quick_models, lips10, tmp_path, caplog, model, graph):
    folder = tmp_path / "models"
    shutil.copytree(quick_models, folder)
    net = load_model(*((FAT, FATConfig) if model == "fat" else (VAE, VAEConfig)), folder / model)
    with torch.no_grad():
        next(net.parameters()).add_(0.1)  # retrained weights, the old graph left beside them
    save_model(net, folder / model)
    with caplog.at_level(logging.WARNING):
        models = LipSyncModels.load(lips10, folder)
    stale = [r.getMessage() for r in caplog.records if graph in r.getMessage()]
    assert len(stale) == 1 and "exported from other weights" in stale[0], caplog.text
    assert (models.fat_session is None) == (model == "fat") and (models.encoder is None) == (model == "vae")
    assert isinstance(models.stream(lips10.neutral), StreamingFAT) == (model == "fat")
    s = models.vae_config.image_size
    crops = np.random.default_rng(0).integers(0, 256, (3, s, s, 3), dtype=np.uint8)
    assert np.allclose(models.encode(crops), encode_crops(load_model(VAE, VAEConfig, folder / "vae"), crops),
                       atol=1e-4)  # the new weights run, whichever runtime


def test_mirrorface_onnx_0_runs_every_model_on_pytorch(quick_models, lips10, monkeypatch):
    monkeypatch.setenv("MIRRORFACE_ONNX", "0")
    models = LipSyncModels.load(lips10, quick_models)
    assert models.encoder is None and models.fat_session is None
    assert isinstance(models.stream(lips10.neutral), StreamingFAT)


def test_onnx_and_pytorch_plan_the_same_commands_for_an_utterance(lips10, monkeypatch):
    """The shipped graphs against the shipped weights, end to end on one utterance."""
    utt = from_text("Bob paid five pounds for the map.", "en")
    onnx = LipSyncModels.load(lips10)
    assert onnx.encoder is not None and onnx.fat_session is not None  # shipped graphs current with the weights
    monkeypatch.setenv("MIRRORFACE_ONNX", "0")
    eager = LipSyncModels.load(lips10)
    a, b = (plan_speech(utt, Painter(lips10), m) for m in (onnx, eager))
    assert np.abs(a.latents - b.latents).max() < 1e-4  # ~1e-6: float32 summation order
    assert np.abs(a.commands - b.commands).max() < 1e-4
    assert np.ptp(b.commands, axis=0).max() > 0.1  # the mouth moves: agreement is not two constant tracks


def test_missing_models_are_one_clear_error(lips10, tmp_path):
    with pytest.raises(MirrorfaceError, match="train vae"):
        LipSyncModels.load(lips10, tmp_path)


def test_execution_goes_through_the_safety_layer(sim_face, lips10):
    wild = np.tile(lips10.neutral, (4, 1))
    wild[:, 4] = [5.0, -3.0, np.nan, 0.5]  # out of range and NaN
    run = execute(sim_face, wild, 30.0, capture=False)
    assert run.frames is None and run.sent.shape == (4, 10)
    assert np.isfinite(run.sent).all()
    assert (run.sent >= lips10.lower).all() and (run.sent <= lips10.upper).all()


def test_lead_aims_each_command_at_a_later_target():
    x = np.arange(5)[:, None]
    from mirrorface.lipsync.speak import lead

    assert lead(x, 1)[:, 0].tolist() == [1, 2, 3, 4, 4]
    assert lead(x, 2)[:, 0].tolist() == [2, 3, 4, 4, 4]
    assert lead(x, 0)[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert lead(x[:1], 3)[:, 0].tolist() == [0]


def test_frame_k_is_captured_before_command_k_takes_effect(sim_face, lips10):
    commands = np.tile(lips10.neutral, (3, 1))
    commands[1:, 4] = 0.9  # open the jaw from the second command on
    run = execute(sim_face, commands, 30.0)
    assert abs(run.positions[1, 4] - lips10.neutral[4]) < 1e-6  # at 1/30 s command 1 was not yet sent
    assert run.positions[2, 4] > lips10.neutral[4] + 0.05  # one period later it shows


def test_perform_plays_a_stream_still_being_planned(lips10):
    """The studio streams commands as the FAT makes them: `perform` takes any iterable, not just an array."""
    from mirrorface.hardware.sim import SimFace
    from mirrorface.lipsync.execute import perform

    commands = np.tile(lips10.neutral, (5, 1))
    with SimFace(lips10) as face:
        steps = list(perform(face, (c for c in commands), lips10.camera.fps, capture=False))
    assert len(steps) == 5 and np.allclose([s.sent for s in steps], commands)


def test_a_fractional_lead_interpolates_the_target_latents():
    from mirrorface.lipsync.speak import latents_at

    latents = np.arange(5, dtype=np.float64)[:, None] * np.array([[1.0, 10.0]])
    assert latents_at(latents, 1.5, 2).tolist() == [[1.5, 15.0], [2.5, 25.0]]
    assert latents_at(latents, 2.0, 2).tolist() == [[2.0, 20.0], [3.0, 30.0]]
    assert latents_at(latents, 3.5, 2).tolist() == [[3.5, 35.0], [4.0, 40.0]]  # past the end: the last


def test_stagger_sends_an_actuator_its_later_commands_interpolated_and_the_last_repeats():
    from mirrorface.lipsync.speak import stagger

    commands = np.arange(5, dtype=np.float32)[:, None] * np.array([[1.0, 10.0, 100.0]], np.float32)
    out = np.stack(list(stagger(iter(commands), np.array([0.0, 1.0, 0.5]))))
    assert out.dtype == np.float32 and out[:, 0].tolist() == [0, 1, 2, 3, 4]
    assert out[:, 1].tolist() == [10, 20, 30, 40, 40]
    assert out[:, 2].tolist() == [50, 150, 250, 350, 400]


def test_a_staggered_command_waits_only_for_the_commands_it_reads():
    from mirrorface.lipsync.speak import stagger

    made = []

    def commands():
        for k in range(6):
            made.append(k)
            yield np.full(2, k, np.float32)

    for t, _ in enumerate(stagger(commands(), np.array([0.0, 1.5]))):
        assert len(made) == min(t + 3, 6)  # command t reads the FAT's t + 2 (1.5 frames, interpolated)


def test_an_actuator_lead_moves_that_actuator_only(quick_models, lips10):
    from mirrorface.lipsync.train_fat import jaw_lead

    models = LipSyncModels.load(lips10, quick_models)
    latents = np.random.default_rng(2).normal(size=(9, models.vae_config.latent)).astype(np.float32)
    plain = np.stack(list(stream_commands(models.stream(lips10.neutral), latents, 1.0)))
    ahead = jaw_lead(lips10, 1.0)
    assert ahead == tuple(1.0 if n == "jaw" else 0.0 for n in lips10.names) and jaw_lead(lips10, 0.0) == ()
    staggered = np.stack(list(stream_commands(models.stream(lips10.neutral), latents, 1.0, ahead)))
    jaw = lips10.index_of("jaw")
    assert np.array_equal(np.delete(staggered, jaw, 1), np.delete(plain, jaw, 1))
    assert np.allclose(staggered[:-1, jaw], plain[1:, jaw]) and staggered[-1, jaw] == plain[-1, jaw]


def test_an_actuator_lead_needs_one_non_negative_entry_per_actuator():
    with pytest.raises(ValueError, match="actuator_lead"):
        FATConfig(n_actions=3, actuator_lead=(0.0, 1.0))
    with pytest.raises(ValueError, match="actuator_lead"):
        FATConfig(n_actions=2, actuator_lead=(0.0, -1.0))
    assert FATConfig(n_actions=2, actuator_lead=(0.0, 0.5)).actuator_lead == (0.0, 0.5)
