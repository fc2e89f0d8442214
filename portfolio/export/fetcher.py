"""The only way WeasyPrint may load anything: the app's own static files, nothing else."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse

# A host that cannot resolve, so even a bug here could not reach a network.
BASE_URL = "https://portfolio.invalid/"
STATIC_PREFIX = BASE_URL + "static/"


class RefusedURL(ValueError):
    """WeasyPrint asked for something outside the allow-list."""


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files below `static_dir` for URLs under STATIC_PREFIX; refuses file://, data:,
    http(s) elsewhere and any path that climbs out of the folder."""

    def __init__(self, static_dir: Path) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self._root = static_dir.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.startswith(STATIC_PREFIX) or "?" in url or "#" in url or "%" in url:
            raise RefusedURL(f"refused: {url[:200]}")
        path = (self._root / url[len(STATIC_PREFIX) :]).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            raise RefusedURL(f"refused: {url[:200]}")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mimetype})
