"""Rendering HTML to PDF with WeasyPrint, which may load only what the app allows: its own
static files, plus the files a caller names by URL (a page's images, a learner's
attachments). No file://, no network, no redirects, nothing else."""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A host that cannot resolve, so even a bug here could not reach a network.
BASE_URL = "https://portfolio.invalid/"
STATIC_PREFIX = BASE_URL + "static/"


class RefusedURL(ValueError):
    """WeasyPrint asked for something outside the allow-list."""


class AllowListFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files below `static_dir` for URLs under STATIC_PREFIX, and exactly the URLs in
    `files` (URL -> path on disk); refuses everything else, including any path that climbs
    out of the static folder."""

    def __init__(self, static_dir: Path, files: Mapping[str, Path] | None = None) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self._root = static_dir.resolve()
        self._files = dict(files or {})

    def _path_for(self, url: str) -> Path:
        if url in self._files:
            return self._files[url]
        if not url.startswith(STATIC_PREFIX) or "?" in url or "#" in url or "%" in url:
            raise RefusedURL(f"refused: {url[:200]}")
        path = (self._root / url[len(STATIC_PREFIX) :]).resolve()
        if not path.is_relative_to(self._root):
            raise RefusedURL(f"refused: {url[:200]}")
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self._path_for(url)
        if not path.is_file():
            raise RefusedURL(f"refused: {url[:200]}")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mimetype})


def render_pdf(html: str, files: Mapping[str, Path] | None = None) -> bytes:
    """HTML from our own templates to PDF bytes; `files` are the only extra URLs it may load."""
    fetcher = AllowListFetcher(Path(current_app.static_folder or "static"), files)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf()  # type: ignore[no-any-return]
