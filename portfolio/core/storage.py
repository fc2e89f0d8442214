"""Uploaded files on disk: private folders under the instance path, atomic writes, safe paths."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app


def upload_folder(name: str) -> Path:
    """<instance>/uploads/<name>, made owner-only if new.

    Under the instance path, never under static/: an upload is served only through a view that
    checks who may see it, and is never executed or guessed at by the web server.
    """
    uploads = Path(current_app.instance_path) / "uploads"
    folder = uploads / name
    for path in (uploads, folder):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write to a temporary file beside the target, then rename: a reader (or a crash) never
    sees half a file under the final name."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")  # mode 0o600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        target = folder / name
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def stored_path(folder: Path, stored_name: str) -> Path:
    """The file `stored_name` in `folder`. Stored names are generated, but a bad row must still
    not reach outside the folder."""
    folder = folder.resolve()
    path = (folder / stored_name).resolve()
    if path.parent != folder:
        raise ValueError(f"stored name outside the upload folder: {stored_name!r}")
    return path
