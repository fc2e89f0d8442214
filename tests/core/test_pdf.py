"""WeasyPrint may load the app's own static files and nothing else."""

from __future__ import annotations

import pytest
from flask import Flask

from portfolio.core.pdf import BASE_URL, AllowListFetcher, RefusedURL, render_pdf


@pytest.fixture
def fetcher(app: Flask) -> AllowListFetcher:
    from pathlib import Path

    return AllowListFetcher(Path(app.static_folder or ""))


def test_serves_the_print_stylesheet(fetcher: AllowListFetcher) -> None:
    response = fetcher.fetch(BASE_URL + "static/css/print.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:5432/",
        "https://example.org/static/css/print.css",
        BASE_URL + "static/../../pyproject.toml",
        BASE_URL + "static/%2e%2e/%2e%2e/pyproject.toml",
        BASE_URL + "static/css/missing.css",
        BASE_URL + "static/css/print.css?x=1",
        BASE_URL + "instance/secret_key",
        "data:text/css,body{color:red}",
        "ftp://example.org/x",
    ],
)
def test_refuses_everything_else(fetcher: AllowListFetcher, url: str) -> None:
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_a_document_cannot_pull_in_local_files_or_the_network(app: Flask) -> None:
    """A hostile document: its references are refused, so the PDF carries none of them."""
    html = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd">'
        '<link rel="attachment" href="file:///etc/hostname"></head><body>'
        '<img src="http://127.0.0.1:9/x.png"><img src="file:///usr/share/pixmaps/debian-logo.png">'
        "<p>Safe text</p></body></html>"
    )
    with app.test_request_context():
        pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF")
    assert b"/EmbeddedFile" not in pdf  # the attachment was not fetched
    assert b"/Image" not in pdf  # neither image was fetched


def test_extra_files_are_served_only_by_their_exact_url(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    fetcher = AllowListFetcher(Path(app.static_folder or ""), {BASE_URL + "pages/images/1": image})
    assert fetcher.fetch(BASE_URL + "pages/images/1").read().startswith(b"\x89PNG")
    for url in (BASE_URL + "pages/images/2", BASE_URL + "pages/images/1?x", f"file://{image}"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_only_the_files_the_app_passes_are_embedded(app: Flask) -> None:
    """A document naming an attachment gets nothing; bytes the app read itself go in, and
    PDF/A-3b output carries them with its variant's metadata."""
    import io

    from pypdf import PdfReader

    from portfolio.core.pdf import EmbeddedFile, render_document

    html = (
        '<html lang="en-GB"><head><title>T</title>'
        '<link rel="attachment" href="file:///etc/hostname"></head><body><p>Text</p></body></html>'
    )
    with app.test_request_context():
        rendered = render_document(
            html, embedded=[EmbeddedFile("notes.txt", b"hello", "Notes")], pdfa=True
        )
    assert rendered.pages == 1
    reader = PdfReader(io.BytesIO(rendered.data))
    assert reader.attachments == {"notes.txt": [b"hello"]}
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid" in xmp
