"""Storing page images: checked from their bytes, written outside the web root, all or nothing."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from portfolio.auth.models import Role, User
from portfolio.config import ROOT
from portfolio.content import services as content
from portfolio.content.models import Page
from portfolio.core.images import ImageRejected
from portfolio.core.pdf import BASE_URL
from portfolio.extensions import db
from portfolio.media import services as media
from portfolio.media.models import PageImage
from tests.factories import Factory, image_bytes

pytestmark = pytest.mark.usefixtures("ctx")


def noisy_png(width: int = 1000, height: int = 800) -> bytes:
    """A real PNG over 2 MB: random pixels do not compress."""
    pixels = random.Random(0).randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, format="PNG")
    return out.getvalue()


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(out, format="GIF")
    return out.getvalue()


@pytest.fixture
def tutor(make: Factory) -> User:
    user = db.session.get(User, make.user(Role.TUTOR).id)
    assert user is not None
    return user


def _page(slug: str = "pts-a-consumer-rights-act") -> Page:
    page = content.get_page(slug, include_unpublished=True)
    assert page is not None
    return page


def _uploads(app: Flask) -> Path:
    return Path(app.instance_path) / "uploads" / "images"


def _stored_files(app: Flask) -> list[Path]:
    folder = _uploads(app)
    return sorted(folder.iterdir()) if folder.exists() else []


def _rows() -> int:
    return db.session.scalar(select(func.count(PageImage.id))) or 0


@pytest.mark.parametrize(
    ("kind", "mimetype", "extension"), [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg")]
)
def test_an_image_is_stored_outside_the_web_root_byte_for_byte(
    app: Flask, tutor: User, kind: str, mimetype: str, extension: str
) -> None:
    data = image_bytes(kind, 120, 90)
    image = media.store_image(_page(), tutor, data, "  Till receipt\nwith the date  ")

    path = media.image_path(image)
    assert path.read_bytes() == data
    assert path.parent == _uploads(app).resolve()
    assert path.is_relative_to(Path(app.instance_path).resolve())
    assert not path.is_relative_to(ROOT / "portfolio")  # never under portfolio/static
    # Only the app may read uploads: the folders and the file are private to its user.
    for folder in (_uploads(app), _uploads(app).parent):
        assert folder.stat().st_mode & 0o077 == 0, oct(folder.stat().st_mode)
    assert path.stat().st_mode & 0o077 == 0
    assert [p.name for p in _stored_files(app)] == [image.stored_name]  # no temporary left

    stored = db.session.get(PageImage, image.id)
    assert stored is not None
    assert (stored.mimetype, stored.width, stored.height) == (mimetype, 120, 90)
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.alt == "Till receipt with the date"
    assert stored.uploaded_by_id == tutor.id and stored.created_at is not None
    # The name on disk is random, never anything the uploader chose.
    assert stored.stored_name.endswith(f".{extension}") and len(stored.stored_name) == 32 + 1 + len(
        extension
    )


def test_two_uploads_of_the_same_bytes_get_different_names(tutor: User) -> None:
    first = media.store_image(_page(), tutor, image_bytes(), "First")
    second = media.store_image(_page(), tutor, image_bytes(), "Second")
    assert first.stored_name != second.stored_name
    assert [i.id for i in media.images_for_page(_page())] == [first.id, second.id]
    assert media.images_for_page(_page("pts-a-escalation")) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gif_bytes(), "Only PNG and JPEG images can be uploaded."),
        (
            b"Not an image at all, whatever the name says.\n",
            "Only PNG and JPEG images can be uploaded.",
        ),
        (image_bytes()[:80], "The file is damaged or is not really a PNG or JPEG image."),
        (b"", "The file is empty."),
        (noisy_png(), "The image is larger than 2 MB."),
    ],
    ids=["gif", "text", "truncated-png", "empty", "too-big"],
)
def test_a_refused_upload_stores_nothing(
    app: Flask, tutor: User, data: bytes, message: str
) -> None:
    with pytest.raises(ImageRejected) as refused:
        media.store_image(_page(), tutor, data, "A description")
    assert str(refused.value) == message
    assert _rows() == 0
    assert _stored_files(app) == []


def test_the_oversized_sample_really_is_a_png_over_the_limit() -> None:
    data = noisy_png()
    assert data.startswith(b"\x89PNG") and len(data) > 2 * 1024 * 1024


@pytest.mark.parametrize("alt", ["", "   ", "x" * 301])
def test_alt_text_is_required_and_bounded(app: Flask, tutor: User, alt: str) -> None:
    with pytest.raises(ImageRejected):
        media.store_image(_page(), tutor, image_bytes(), alt)
    assert _rows() == 0 and _stored_files(app) == []


def test_a_failed_commit_leaves_no_file(
    app: Flask, tutor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", fail)
    with pytest.raises(RuntimeError):
        media.store_image(_page(), tutor, image_bytes(), "Receipt")
    monkeypatch.undo()
    assert _rows() == 0 and _stored_files(app) == []


def test_get_image_hides_a_draft_pages_images_when_asked(tutor: User) -> None:
    draft = media.store_image(_page("pts-a-overview"), tutor, image_bytes(), "Draft diagram")
    published = media.store_image(_page(), tutor, image_bytes(), "Receipt")
    assert media.get_image(draft.id) is not None
    assert media.get_image(draft.id, published_only=True) is None
    assert media.get_image(published.id, published_only=True) is not None
    assert media.get_image(999_999) is None


def test_image_files_for_maps_pdf_urls_of_these_pages_only(tutor: User) -> None:
    mine = media.store_image(_page(), tutor, image_bytes(), "Receipt")
    other = media.store_image(_page("pts-b-overview"), tutor, image_bytes(), "Other")
    files = media.image_files_for([_page(), _page("pts-a-escalation")])
    assert files == {f"{BASE_URL}media/images/{mine.id}": media.image_path(mine)}
    assert all(path != media.image_path(other) for path in files.values())
    assert media.image_files_for([]) == {}


def test_markdown_snippet_is_what_the_sanitiser_lets_through(tutor: User) -> None:
    from portfolio.core.markdown import render_markdown

    image = media.store_image(_page(), tutor, image_bytes(), "Receipt [copy] for £4.99")
    snippet = media.markdown_snippet(image)
    assert snippet == f"![Receipt \\[copy\\] for £4.99](/media/images/{image.id})"
    html = str(render_markdown(snippet))
    assert f'src="/media/images/{image.id}"' in html and 'alt="Receipt [copy] for £4.99"' in html
