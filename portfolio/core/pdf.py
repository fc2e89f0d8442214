"""Rendering HTML to PDF with WeasyPrint, which may load only what the app allows: its own
static files, plus the files a caller names by URL (a page's images, a learner's
attachments). No file://, no network, no redirects, nothing else."""

from __future__ import annotations

import io
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from flask import current_app
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
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


@dataclass(frozen=True)
class EmbeddedFile:
    """A file to carry inside the PDF, as bytes the app has read itself: never a URL the
    document names, so a document cannot choose what gets embedded."""

    name: str
    data: bytes
    description: str = ""
    # PDF/A-3's AFRelationship: "Data" for the facts the pages show, "Source" for originals.
    relationship: str = "Supplement"


def _srgb_profile() -> ColorProfile:
    data = (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    return ColorProfile(
        io.BytesIO(data), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int
    # The rendering process's peak resident memory in bytes, where it was measured.
    peak_memory: int = 0


def render_pdf(html: str, files: Mapping[str, Path] | None = None) -> bytes:
    """HTML from our own templates to PDF bytes; `files` are the only extra URLs it may load."""
    return render_document(html, files).data


def render_document(
    html: str,
    files: Mapping[str, Path] | None = None,
    *,
    embedded: Sequence[EmbeddedFile] = (),
    pdfa: bool = False,
    tagged: bool = False,
) -> RenderedPdf:
    """As render_pdf, with the page count. `embedded` files go inside the PDF; `pdfa` makes
    PDF/A-3b (archival, and the variant that allows embedded files); `tagged` adds the
    structure tree screen readers use."""
    return render_html(html, static_dir(), files, embedded=embedded, pdfa=pdfa, tagged=tagged)


def static_dir() -> Path:
    return Path(current_app.static_folder or "static")


def render_html(
    html: str,
    static: Path,
    files: Mapping[str, Path] | None = None,
    *,
    embedded: Sequence[EmbeddedFile] = (),
    pdfa: bool = False,
    tagged: bool = False,
) -> RenderedPdf:
    """render_document without an app: what a rendering process runs."""
    fetcher = AllowListFetcher(static, files)
    attachments = [
        Attachment(
            file_obj=io.BytesIO(f.data),
            name=f.name,
            description=f.description or None,
            relationship=f.relationship,
            url_fetcher=fetcher,
        )
        for f in embedded
    ]
    options: dict[str, Any] = {"attachments": attachments, "pdf_tags": tagged}
    profiles: dict[str, ColorProfile] = {}
    stylesheets: list[CSS] = []
    if pdfa:
        # PDF/A forbids images marked for interpolation (ISO 19005-3, 6.2.8), which WeasyPrint
        # marks whenever image-rendering is auto, the default.
        stylesheets.append(CSS(string="html { image-rendering: crisp-edges }"))
        options["pdf_variant"] = "pdf/a-3b"
        # PDF/A needs an sRGB output intent. WeasyPrint's own loads its bundled profile from
        # a file it never closes (a ResourceWarning per export); this is the same profile,
        # read and closed here, under a name the variant's default does not overwrite.
        options["output_intent"] = "srgb-profile"
        profiles["srgb-profile"] = _srgb_profile()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=stylesheets, color_profiles=profiles, **options
    )
    return RenderedPdf(document.write_pdf(**options), len(document.pages))
