"""`mirrorface export`: the deployed models in formats other runtimes read.

Example:
    mirrorface export onnx --face lips10                 # regenerate the graphs `say` runs
    mirrorface export onnx --face lips10 --out exported/lips10
    mirrorface export onnx --face lips10 --models models/lips10 --out /tmp/onnx --force
The export writes vae_encoder.onnx (mouth crops -> 16-d latent means) and fat.onnx (previous
commands + target latents -> next commands), both with a dynamic batch axis, each beside its
weights (vae/, fat/ of the checkpoint folder: `say` runs them on onnxruntime, without PyTorch)
or with `--out` both into that folder; each export is checked against PyTorch on random inputs
with onnxruntime.
"""

from __future__ import annotations

from pathlib import Path

import typer

from mirrorface.errors import MirrorfaceError

app = typer.Typer(help="Export the deployed models.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Export the deployed models."""  # keeps `onnx` a subcommand while it is the only one


@app.command("onnx")
def onnx(
    out: Path = typer.Option(None, help="Folder for vae_encoder.onnx and fat.onnx (default: each beside its "
                             "weights in the checkpoint folder, replacing the graphs there)."),
    face: str = typer.Option("lips10", help="The face whose lip-sync models to export."),
    models: Path = typer.Option(None, help="A folder with vae/ and fat/ (default: the face's shipped models)."),
    check: int = typer.Option(64, help="Random inputs for the onnxruntime parity check (0: skip it)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite ONNX files already in --out."),
) -> None:
    """Export the VAE encoder and the FAT to ONNX (dynamic batch) and check them with onnxruntime."""
    from mirrorface.export.graphs import FAT_ONNX, VAE_ONNX
    from mirrorface.export.onnx import export_lipsync
    from mirrorface.face.spec import load_spec
    from mirrorface.lipsync.speak import LipSyncModels

    if check < 0:
        raise MirrorfaceError(f"--check must be 0 or more, got {check}")
    existing = [] if out is None else [p.name for p in (out / VAE_ONNX, out / FAT_ONNX) if p.exists()]
    if existing and not force:
        raise MirrorfaceError(f"{out} already holds {', '.join(existing)}: pass --force to replace them")
    spec = load_spec(face)
    lipsync = LipSyncModels.load(spec, models, graphs=False)  # the graphs there may be the stale ones replaced
    report = export_lipsync(lipsync.vae, lipsync.fat, lipsync.folder, out, spec.name, check)
    for item in report.values():
        checked = f"max |onnxruntime - PyTorch| {item['max_abs_diff']:.1e} on {check} random inputs" if check else \
            "not checked"
        typer.echo(f"{item['path']}: {item['bytes'] / 1024:.0f} KiB, {checked}")
