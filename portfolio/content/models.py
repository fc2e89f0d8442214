"""Revision pages that tutors write and learners read."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db import Base, CreatedMixin, UTCDateTime, str_enum, utcnow
from portfolio.qualifications.models import Element, MarkingPoint


class PageStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


page_marking_point = Table(
    "page_marking_point",
    Base.metadata,
    Column("page_id", ForeignKey("page.id", ondelete="CASCADE"), primary_key=True),
    Column("marking_point_id", ForeignKey("marking_point.id"), primary_key=True),
)


class Page(CreatedMixin, Base):
    __tablename__ = "page"
    __table_args__ = (
        CheckConstraint(
            "status <> 'published' OR published_at IS NOT NULL", name="published_has_date"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[PageStatus] = mapped_column(str_enum(PageStatus), default=PageStatus.DRAFT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two tutors editing one page: the second save carries a stale version and is refused.
    version: Mapped[int] = mapped_column(default=1)

    element: Mapped[Element] = relationship()
    marking_points: Mapped[list[MarkingPoint]] = relationship(
        secondary=page_marking_point, order_by="MarkingPoint.position"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
