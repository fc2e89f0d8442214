"""Storing, finding and serving the images tutors upload for revision pages."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select

from portfolio.auth.models import User
from portfolio.content.models import Page, PageStatus
from portfolio.core.images import ImageRejected, check_image
from portfolio.core.pdf import BASE_URL
from portfolio.core.storage import stored_path, upload_folder, write_atomically
from portfolio.extensions import db
from portfolio.media.models import ALT_MAX, MAX_IMAGE_BYTES, PageImage


def _image_dir() -> Path:
    return upload_folder("images")


def store_image(page: Page, uploader: User, data: bytes, alt: str) -> PageImage:
    """Check the bytes, store them under a random name and record the image. Raises
    ImageRejected (with a message for the tutor) and then stores nothing."""
    alt = " ".join(alt.split())
    if not alt:
        raise ImageRejected("Describe the image for people who cannot see it.")
    if len(alt) > ALT_MAX:
        raise ImageRejected(f"The description must be at most {ALT_MAX} characters.")
    checked = check_image(data, MAX_IMAGE_BYTES)
    image = PageImage(
        page_id=page.id,
        stored_name=f"{secrets.token_hex(16)}.{checked.extension}",
        mimetype=checked.mimetype,
        size=len(data),
        width=checked.width,
        height=checked.height,
        alt=alt,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=uploader.id,
    )
    path = write_atomically(_image_dir(), image.stored_name, data)
    try:
        db.session.add(image)
        db.session.commit()
    except BaseException:
        # No row, no file: a failed commit must not leave an orphan on disk.
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return image


def get_image(image_id: int, *, published_only: bool = False) -> PageImage | None:
    """The image, or None; with `published_only`, None also when its page is not published
    (learners see a draft page's images no more than the page itself)."""
    image = db.session.get(PageImage, image_id)
    if image is None or (published_only and image.page.status is not PageStatus.PUBLISHED):
        return None
    return image


def images_for_page(page: Page) -> Sequence[PageImage]:
    return db.session.scalars(
        select(PageImage).where(PageImage.page_id == page.id).order_by(PageImage.id)
    ).all()


def image_path(image: PageImage) -> Path:
    return stored_path(_image_dir(), image.stored_name)


def read_image(image: PageImage) -> bytes | None:
    """The stored bytes, or None if the file has gone (restored backup without uploads...)."""
    try:
        return image_path(image).read_bytes()
    except FileNotFoundError:
        return None


def image_url(image: PageImage) -> str:
    """The address page Markdown uses for the image (the only <img> source it may have)."""
    return f"/media/images/{image.id}"


def markdown_snippet(image: PageImage) -> str:
    alt = image.alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"![{alt}]({image_url(image)})"


def image_files_for(pages: Iterable[Page]) -> dict[str, Path]:
    """The images of these pages, as render_pdf's allow-list: PDF URL -> file on disk. A page
    body that names any other image (another element's, a draft's) gets nothing for it."""
    page_ids = [page.id for page in pages]
    if not page_ids:
        return {}
    images = db.session.scalars(select(PageImage).where(PageImage.page_id.in_(page_ids)))
    return {BASE_URL + image_url(image).lstrip("/"): image_path(image) for image in images}
