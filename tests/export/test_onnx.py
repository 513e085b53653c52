"""ONNX export: `mirrorface export onnx` on small random models, checked against PyTorch with onnxruntime;
the graphs record their weights' digest, and only a current graph runs."""

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
import torch

from mirrorface.cli.main import main
from mirrorface.export.graphs import FAT_ONNX, VAE_ONNX, OnnxStreamingFAT, current_session, session
from mirrorface.export.onnx import export_fat
from mirrorface.lipsync.eager import StreamingFAT
from mirrorface.lipsync.speak import LipSyncModels
from mirrorface.models.fat import FAT, FATConfig
from mirrorface.models.vae import VAE, VAEConfig
from mirrorface.training.checkpoint import save_model
from mirrorface.training.folder import weights_digest

TOLERANCE = 1e-4  # float32 kernels differ in summation order: ~1e-6 is normal, 1e-4 would be a wrong graph


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    vae = VAE(VAEConfig(image_size=32, channels=(8, 16, 32), crop_x=40, crop_y=120, crop_size=96)).eval()
    fat = FAT(FATConfig(d_model=32, heads=2, layers=1, ff=64)).eval()
    fat.set_normalizer(torch.randn(16), torch.rand(16) + 0.5)  # the normaliser must be baked into the graph
    return vae, fat


@pytest.fixture(scope="module")
def exported(models, tmp_path_factory):
    """The CLI's export of the models saved as a checkpoint folder, and what it printed."""
    root = tmp_path_factory.mktemp("onnx")
    vae, fat = models
    save_model(vae, root / "models" / "vae")
    save_model(fat, root / "models" / "fat")
    out = root / "onnx"
    with pytest.MonkeyPatch.context() as mp:
        printed = []
        mp.setattr("typer.echo", lambda message, **_: printed.append(message))
        assert main(["export", "onnx", "--face", "lips10", "--models", str(root / "models"), "--out", str(out),
                     "--check", "8"]) == 0
    return root, out, printed


def run_onnx(path, *inputs):
    runner = session(path)
    return runner.run(None, {i.name: x.numpy() for i, x in zip(runner.get_inputs(), inputs, strict=True)})[0]


@pytest.mark.parametrize("batch", [1, 5, 33])
def test_vae_encoder_parity_at_any_batch_size(models, exported, batch):
    vae, _ = models
    crops = torch.rand(batch, 3, 32, 32, generator=torch.Generator().manual_seed(batch))
    with torch.no_grad():
        want = vae.encode(crops)[0].numpy()
    got = run_onnx(exported[1] / "vae_encoder.onnx", crops)
    assert got.shape == (batch, 16)
    assert np.abs(got - want).max() < TOLERANCE


@pytest.mark.parametrize("batch", [1, 5, 33])
def test_fat_parity_at_any_batch_size(models, exported, batch):
    _, fat = models
    rng = torch.Generator().manual_seed(batch)
    actions, latents = torch.rand(batch, 2, 10, generator=rng), 3 * torch.randn(batch, 2, 16, generator=rng)
    with torch.no_grad():
        want = fat(actions, latents)[0].numpy()
    got = run_onnx(exported[1] / "fat.onnx", actions, latents)
    assert got.shape == (batch, 2, 10)
    assert np.abs(got - want).max() < TOLERANCE
    assert want.std() > 1e-3  # a constant output would make parity meaningless


def test_files_carry_their_config_face_and_weights_digest(models, exported):
    vae, fat = models
    root = exported[0]
    for name, model, folder in (("vae_encoder", vae, "vae"), ("fat", fat, "fat")):
        props = {p.key: p.value for p in onnx.load(str(exported[1] / f"{name}.onnx")).metadata_props}
        assert props["mirrorface.face"] == "lips10"
        assert props["mirrorface.weights"] == weights_digest(root / "models" / folder)
        assert len(props["mirrorface.weights"]) == 64
        config = json.loads(props["mirrorface.config"])
        assert type(model.config)(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}) \
            == model.config


def test_cli_reports_parity_and_refuses_to_overwrite(exported, capsys):
    root, out, printed = exported
    assert [line.split(":")[0] for line in printed] == [str(out / "vae_encoder.onnx"), str(out / "fat.onnx")]
    assert all(float(line.split("PyTorch| ")[1].split()[0]) < TOLERANCE for line in printed)
    assert main(["export", "onnx", "--models", str(root / "models"), "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err


def test_streaming_on_onnxruntime_matches_pytorch(models, exported):
    _, fat = models
    start = np.full(10, 0.5, np.float32)
    torch_stream, onnx_stream = StreamingFAT(fat, start), OnnxStreamingFAT(exported[1] / "fat.onnx", start)
    latents = np.random.default_rng(0).normal(size=(20, 2, 16)).astype(np.float32)
    a = np.stack([torch_stream.step(z) for z in latents])
    b = np.stack([onnx_stream.step(z) for z in latents])
    assert np.abs(a - b).max() < TOLERANCE
    assert np.abs(np.diff(a, axis=0)).max() > 1e-3  # the commands move: the history is really fed back


@pytest.mark.parametrize("args, needle", [
    (["--models", "{root}/missing"], "no VAE at"),
    (["--models", "{root}/models", "--face", "emo26"], "drives 10 actuators"),
    (["--models", "{root}/models", "--out", "{root}/models/vae/config.json"], "is a file"),
    (["--models", "{root}/models", "--check", "-1"], "--check"),
])
def test_bad_input_is_one_error_line(exported, capsys, args, needle):
    root = exported[0]
    argv = ["export", "onnx", "--out", str(root / "new"), *(a.format(root=root) for a in args)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0], err


def test_the_real_command_fails_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mirrorface", "export", "onnx", "--models", str(tmp_path / "none"),
                             "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: no VAE at"), result.stderr
    assert not (tmp_path / "out").exists()


def test_without_out_each_graph_is_written_beside_its_weights_and_runs(models, exported, lips10, caplog):
    root = exported[0]
    folder = root / "beside"
    for model in ("vae", "fat"):
        (folder / model).mkdir(parents=True)
        for name in ("config.json", "model.safetensors"):
            (folder / model / name).write_bytes((root / "models" / model / name).read_bytes())
    assert LipSyncModels.load(lips10, folder).runtimes == "VAE encoder on PyTorch, FAT on PyTorch"
    assert main(["export", "onnx", "--face", "lips10", "--models", str(folder), "--check", "0"]) == 0
    assert (folder / "vae" / VAE_ONNX).is_file() and (folder / "fat" / FAT_ONNX).is_file()
    assert LipSyncModels.load(lips10, folder).runtimes == "VAE encoder on onnxruntime, FAT on onnxruntime"
    _, fat = models
    retrained = FAT(fat.config)  # new weights beside the old fat.onnx
    retrained.load_state_dict(fat.state_dict())
    with torch.no_grad():
        retrained.head.bias.add_(0.1)
    save_model(retrained, folder / "fat")
    caplog.clear()
    assert LipSyncModels.load(lips10, folder).runtimes == "VAE encoder on onnxruntime, FAT on PyTorch"
    assert "fat.onnx was exported from other weights" in caplog.text
    caplog.clear()
    assert main(["export", "onnx", "--face", "lips10", "--models", str(folder), "--check", "0"]) == 0  # regenerates
    assert "PyTorch instead" not in caplog.text  # the export does not run the graphs it replaces
    assert LipSyncModels.load(lips10, folder).runtimes == "VAE encoder on onnxruntime, FAT on onnxruntime"


def test_a_graph_without_its_weights_digest_is_never_current(models, tmp_path):
    _, fat = models
    save_model(fat, tmp_path)
    export_fat(fat, tmp_path / FAT_ONNX)  # a model with no folder: no digest recorded
    assert current_session(tmp_path, FAT_ONNX) is None
    export_fat(fat, tmp_path / FAT_ONNX, weights=tmp_path)
    assert current_session(tmp_path, FAT_ONNX) is not None


def test_a_damaged_graph_falls_back_to_pytorch(models, tmp_path):
    """A cut fat.onnx is as good as a stale one: the weights run on PyTorch (the docs' promise)."""
    from mirrorface.errors import MirrorfaceError

    _, fat = models
    save_model(fat, tmp_path)
    graph = export_fat(fat, tmp_path / FAT_ONNX, weights=tmp_path)
    assert current_session(tmp_path, FAT_ONNX) is not None
    graph.write_bytes(graph.read_bytes()[:1000])
    assert current_session(tmp_path, FAT_ONNX) is None
    with pytest.raises(MirrorfaceError, match="not a usable ONNX model"):
        session(graph)
