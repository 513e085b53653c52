"""`fit` under torchrun: 2 CPU processes (gloo) end with the weights of 1 process on the whole batch.

Tolerance. DDP averages the two ranks' gradients of their 16-row halves, which equals the
gradient of the 32-row batch up to float32 summation order (~1e-7 relative). AdamW then divides
each gradient by its running RMS, and for a parameter whose true gradient is zero (the key bias
of attention: softmax ignores a shift shared by all keys) it turns that rounding noise into steps
of up to about lr. So the weights must agree within lr / 3 = 1e-3 (where a wrong shard or an
unsynchronised gradient moves them by several lr), and the model's outputs, which the key bias
cannot change, within 1e-5. The control run with other batches shows how far apart a real
difference lands.
"""

import importlib.util
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import torch
from safetensors.torch import load_file

from mirrorface.models.fat import FAT
from mirrorface.training.checkpoint import load_model_weights

SCRIPT = Path(__file__).with_name("ddp_fit.py")
spec = importlib.util.spec_from_file_location("ddp_fit", SCRIPT)
ddp_fit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ddp_fit)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(out: Path, processes: int = 2) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"  # two ranks on two cores: one thread each
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", str(processes),
               "--master_addr", "127.0.0.1", "--master_port", str(free_port()), str(SCRIPT), str(out)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]


def outputs(weights: Path) -> torch.Tensor:
    model = FAT(ddp_fit.MODEL)
    load_model_weights(model, weights)
    rng = torch.Generator().manual_seed(1)
    with torch.no_grad():
        return model.eval()(torch.rand(64, 2, 10, generator=rng), torch.randn(64, 2, 16, generator=rng))[0]


def max_difference(a: Path, b: Path) -> float:
    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    assert wa.keys() == wb.keys()
    return max((wa[k] - wb[k]).abs().max().item() for k in wa)


def test_two_processes_match_one(tmp_path, monkeypatch):
    torchrun(tmp_path / "two")
    ddp_fit.main(tmp_path / "one")
    monkeypatch.setattr(ddp_fit, "TRAIN", replace(ddp_fit.TRAIN, seed=ddp_fit.TRAIN.seed + 1))
    ddp_fit.main(tmp_path / "other_batches")
    assert '"processes": 2' in (tmp_path / "two" / "config.json").read_text()
    assert max_difference(tmp_path / "one", tmp_path / "two") < 1e-3
    assert (outputs(tmp_path / "one") - outputs(tmp_path / "two")).abs().max() < 1e-5
    assert max_difference(tmp_path / "one", tmp_path / "other_batches") > 1e-2
    assert (outputs(tmp_path / "one") - outputs(tmp_path / "other_batches")).abs().max() > 1e-3
