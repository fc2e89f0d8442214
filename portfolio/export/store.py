"""Where finished exports live: instance/exports/, outside the web root. A portfolio PDF is
kept under the hash of what it shows (its cache key), so an unchanged portfolio exported
again is the same file; a cohort's ZIP is kept under its job's id. With workers on other
machines the instance folder is shared storage, as the learners' uploads already are."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from functools import cache
from pathlib import Path

import weasyprint
from flask import current_app

from portfolio.config import ROOT
from portfolio.export.facts import PortfolioPack
from portfolio.export.pack import PACK_VERSION, pack_json


def exports_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_PATH"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@cache
def template_version() -> str:
    """A fingerprint of everything that draws a pack besides its facts: the templates, the
    stylesheets and WeasyPrint itself. Editing any of them makes every cached PDF stale."""
    digest = hashlib.sha256(f"{PACK_VERSION}/{weasyprint.__version__}".encode())
    sources = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "portfolio/static").rglob("*.css")]
    for path in sorted(sources):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(pack: PortfolioPack, *, pdfa: bool, variant: str = "") -> str:
    """The hash of the pack's facts (all but the export date) with the template version,
    the PDF/A choice and the `variant` of rendering (a split render is another file)."""
    facts = json.loads(pack_json(pack))
    facts.pop("exported_at")
    body = json.dumps(facts, sort_keys=True, ensure_ascii=False).encode()
    head = f"{template_version()}/{int(pdfa)}/{variant}/".encode()
    return hashlib.sha256(head + body).hexdigest()


def cached_name(key: str) -> str:
    return f"cache/{key}.pdf"


def path_of(name: str) -> Path:
    """The file a job's result names; refuses anything that is not inside the exports folder."""
    root = exports_dir().resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"not an export: {name!r}")
    return path


def has(name: str) -> bool:
    return path_of(name).is_file()


def write(name: str, data: bytes) -> int:
    """Writes atomically (a reader never sees half a file) and returns the size."""
    path = path_of(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        # A full disk or a crash mid-write leaves no half file behind.
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(data)


def sweep(keep_days: int) -> int:
    """Deletes finished files older than `keep_days`; returns how many."""
    cutoff = time.time() - keep_days * 86400
    removed = 0
    for path in exports_dir().rglob("*"):
        try:
            stale = path.is_file() and path.stat().st_mtime < cutoff
        except FileNotFoundError:  # swept by another worker sharing the folder
            continue
        if stale:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def touch(name: str) -> bool:
    """Marks a cached file as used, so the sweep keeps what people still export; False if it
    is gone (swept since), never creating it: an empty file would be served as the PDF."""
    try:
        os.utime(path_of(name))
    except FileNotFoundError:
        return False
    return True


def temporary_beside(name: str) -> tuple[Path, Path]:
    """A fresh temporary path in the folder `name` will live in, and `name`'s own path: for
    files too big to build in memory, renamed into place when complete."""
    path = path_of(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    os.close(fd)
    return Path(temporary), path
