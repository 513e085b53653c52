"""Audio uploads: size-limited, type-checked by their bytes, decoded before anything uses them.

A browser can send anything with any name; the file is kept only when its first bytes are a
WAV, FLAC or MP3 signature and the decoder reads it. Every refusal is one sentence for the page.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from mirrorface.errors import MirrorfaceError

MAX_BYTES = 8 * 1024 * 1024  # about 90 s of 44.1 kHz 16-bit stereo WAV: plenty for a sentence
ID = re.compile(r"^[0-9a-f]{16}$")


class UploadError(MirrorfaceError):
    """An upload the studio will not keep; the message is shown on the page."""


def kind_of(head: bytes) -> str | None:
    """The audio container named by a file's first bytes, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def store(folder: Path, data: bytes) -> str:
    """Check and keep an upload; returns its id. Raises UploadError with the reason."""
    if not data:
        raise UploadError("the upload is empty")
    if len(data) > MAX_BYTES:
        raise UploadError(f"the upload is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
    kind = kind_of(data[:16])
    if kind is None:
        raise UploadError("the upload is not a WAV, FLAC or MP3 file")
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = secrets.token_hex(8)
    path = folder / f"{upload_id}.{kind}"
    path.write_bytes(data)
    from mirrorface.speech.audio import load_audio

    try:
        load_audio(path)  # corrupt, truncated, silent: refused now, not halfway through speaking
    except MirrorfaceError as exc:
        path.unlink(missing_ok=True)
        raise UploadError(f"the {kind.upper()} upload was refused: {str(exc).replace(str(path), 'the file')}") from None
    return upload_id


def find(folder: Path, upload_id: str) -> Path:
    """The stored file of an id the page sends back (ids are checked: no paths from the browser)."""
    if not ID.match(upload_id or ""):
        raise UploadError("unknown upload")
    found = sorted(folder.glob(f"{upload_id}.*"))
    if not found:
        raise UploadError("unknown upload (upload it again)")
    return found[0]
