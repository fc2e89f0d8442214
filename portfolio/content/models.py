"""Revision pages that tutors write and learners read, with their history and who read them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.models import User
from portfolio.db import Base, CreatedMixin, UTCDateTime, str_enum, utcnow
from portfolio.qualifications.models import Element, MarkingPoint, Misconception


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

page_misconception = Table(
    "page_misconception",
    Base.metadata,
    Column("page_id", ForeignKey("page.id", ondelete="CASCADE"), primary_key=True),
    Column("misconception_id", ForeignKey("misconception.id"), primary_key=True),
)


class Page(CreatedMixin, Base):
    __tablename__ = "page"
    __table_args__ = (
        CheckConstraint(
            "status <> 'published' OR published_at IS NOT NULL", name="published_has_date"
        ),
        CheckConstraint(
            "review_by IS NULL OR reviewed_on IS NULL OR review_by >= reviewed_on",
            name="review_after_reviewed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # The words of the body without markup, kept for full-text search and its snippets.
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PageStatus] = mapped_column(str_enum(PageStatus), default=PageStatus.DRAFT)
    # Citations such as "Consumer Rights Act 2015 s22", in the order the tutor gave them.
    legislation: Mapped[list[str]] = mapped_column(JSON, default=list)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    review_by: Mapped[date | None] = mapped_column(Date, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two tutors editing one page: the second save carries a stale version and is refused.
    version: Mapped[int] = mapped_column(default=1)

    element: Mapped[Element] = relationship()
    updated_by: Mapped[User | None] = relationship()
    marking_points: Mapped[list[MarkingPoint]] = relationship(
        secondary=page_marking_point, order_by="MarkingPoint.position"
    )
    misconceptions: Mapped[list[Misconception]] = relationship(
        secondary=page_misconception, order_by="Misconception.id"
    )
    revisions: Mapped[list[PageRevision]] = relationship(
        back_populates="page", order_by="PageRevision.number", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PageRevision(Base):
    """One saved state of a page. Written on every save and never changed afterwards."""

    __tablename__ = "page_revision"
    __table_args__ = (UniqueConstraint("page_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[PageStatus] = mapped_column(str_enum(PageStatus))
    # Element, marking points, misconceptions, legislation and review dates at this revision.
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # None when the revision came from `portfolio content import`, not from a person.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    page: Mapped[Page] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()


class PageRead(Base):
    """A learner marked a page as read (the latest time counts)."""

    __tablename__ = "page_read"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    page_id: Mapped[int] = mapped_column(
        ForeignKey("page.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
