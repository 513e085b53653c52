"""`mirrorface face`: list, inspect and render face specs.

Example:
    mirrorface face show lips10
    mirrorface face render --face emo26 --commands 'corner_y=0.95,jaw=0.3' --out smile.png
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from mirrorface.errors import MirrorfaceError
from mirrorface.face.spec import FaceSpec, builtin_faces, load_spec
from mirrorface.images import save_image

app = typer.Typer(help="List, inspect and render face specs.", no_args_is_help=True)
FACE = typer.Option("lips10", "--face", help="A built-in face name or the path of a face.toml.")


@app.command("list")
def list_faces() -> None:
    """List the built-in faces."""
    for name in builtin_faces():
        spec = load_spec(name)
        print(f"{name}\t{spec.n} actuators\t{spec.description}")


@app.command("show")
def show(face: str = typer.Argument(..., help="A built-in face name or a face.toml path.")) -> None:
    """Validate a face spec and print its actuators, lips, symmetric set and safety rules."""
    spec = load_spec(face)
    console = Console()
    console.print(f"[bold]{spec.name}[/] {spec.version}: {spec.description}")
    table = Table("index", "name", "group", "range", "neutral", "speed/s", "partner")
    for a in spec.ordered:
        table.add_row(str(a.index), a.name, a.group, f"{a.range[0]:g}..{a.range[1]:g}",
                      f"{a.neutral:g}", f"{a.speed:g}", a.partner or "")
    console.print(table)
    if spec.lips.closure:
        closing = ", ".join(f"{c.name} ({'+' if c.closes > 0 else '-'})" for c in spec.lips.closure)
        console.print(f"lip closure actuators: {closing}")
    if spec.symmetric:
        console.print(f"symmetric commands ({len(spec.symmetric)}): "
                      + ", ".join(s.name for s in spec.symmetric))
    for rule in spec.safety.rules:
        terms = " + ".join(f"{w:g}*{n}" for n, w in rule.weights.items())
        console.print(f"rule {rule.name}: {terms} <= {rule.max:g}  ({rule.why})")
    cam = spec.camera
    console.print(f"camera {cam.width}x{cam.height} @ {cam.fps:g} fps; bus: {spec.bus.type}")


def parse_commands(spec: FaceSpec, text: str) -> np.ndarray:
    """'name=value,...' (others neutral; symmetric names set both sides) or n comma values."""
    command = spec.neutral.copy()
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if parts and all("=" not in p for p in parts):
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise MirrorfaceError(f"--commands: {text!r} is not a list of numbers") from None
        if len(values) != spec.n:
            raise MirrorfaceError(f"--commands: face {spec.name!r} takes {spec.n} values, got {len(values)}")
        return _in_range(spec, np.array(values))
    symmetric = {s.name: s.actuators for s in spec.symmetric}
    for part in parts:
        name, _, value = part.partition("=")
        try:
            v = float(value)
        except ValueError:
            raise MirrorfaceError(f"--commands: {part!r} is not name=number") from None
        targets = symmetric.get(name.strip(), (name.strip(),))
        for target in targets:
            command[spec.index_of(target)] = v
    return _in_range(spec, command)


def _in_range(spec: FaceSpec, command: np.ndarray) -> np.ndarray:
    """A typed command outside an actuator's range is a mistake to report, not a value to clamp silently
    (the safety layer clamps what models compute)."""
    if not np.all(np.isfinite(command)):
        raise MirrorfaceError("--commands: values must be finite numbers")
    for a, value in zip(spec.ordered, command, strict=True):
        if not a.range[0] <= value <= a.range[1]:
            raise MirrorfaceError(f"--commands: {a.name}={value:g} is outside its range "
                                  f"{a.range[0]:g}..{a.range[1]:g}")
    return command


@app.command("render")
def render(
    face: str = FACE,
    commands: str = typer.Option("", help="'name=value,...' (others neutral) or one value per actuator."),
    out: Path = typer.Option(Path("face.png"), help="Where to write the PNG."),
    seed: int = typer.Option(0, help="Seeds camera noise and light jitter."),
) -> None:
    """Render the simulated face holding a pose (after the safety layer) to a PNG."""
    from mirrorface.face.safety import SafetyLayer
    from mirrorface.face.sim.painter import Painter

    spec = load_spec(face)
    raw = parse_commands(spec, commands)
    safety = SafetyLayer(spec)
    pose = safety.project(raw)
    broken = safety.violated_rules(np.clip(raw, spec.lower, spec.upper))
    if broken:
        typer.echo(f"note: the safety layer pulled the pose back: it broke {', '.join(broken)}", err=True)
    save_image(out, Painter(spec, seed=seed).render_pose(pose))
    typer.echo(str(out))
