"""Writing output files whole or not at all.

Every file mirrorface writes for a user (videos, WAVs, images, checkpoints, calibrations) is
written under a hidden temporary name beside its destination and renamed into place once
complete, so an error, an interrupt or a crash leaves the previous file (or none), never half of
a new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; it becomes `path` when the block ends without an error.

    The temporary name keeps the destination's suffix, for writers that choose a format by it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes the file private (0600); outputs are for sharing
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
