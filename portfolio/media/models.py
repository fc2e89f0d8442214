"""Images uploaded for revision pages: the row that describes each stored file."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.models import User
from portfolio.content.models import Page
from portfolio.db import Base, CreatedMixin

ALT_MAX = 300
MAX_IMAGE_BYTES = 2 * 1024 * 1024


class PageImage(CreatedMixin, Base):
    """One image a tutor uploaded for a page. The bytes live on disk under the instance path,
    named by `stored_name` (random, never the uploader's file name); the row is the only way
    to reach them."""

    __tablename__ = "page_image"
    __table_args__ = (
        # Every image is described for people who cannot see it.
        CheckConstraint("alt <> ''", name="alt_not_empty"),
        CheckConstraint("size > 0 AND width > 0 AND height > 0", name="positive_size"),
        CheckConstraint("mimetype IN ('image/png', 'image/jpeg')", name="known_mimetype"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    mimetype: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]  # bytes
    width: Mapped[int]
    height: Mapped[int]
    alt: Mapped[str] = mapped_column(String(ALT_MAX))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    page: Mapped[Page] = relationship()
    uploaded_by: Mapped[User] = relationship()

    @property
    def extension(self) -> str:
        return self.stored_name.rsplit(".", 1)[-1]
