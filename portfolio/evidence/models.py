"""A learner's evidence: a working draft, and the frozen submissions made from it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.models import User
from portfolio.db import Base, CreatedMixin, UTCDateTime, str_enum, utcnow
from portfolio.qualifications.models import Element, MarkingPoint


class EvidenceStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REFERRED = "referred"
    ACCEPTED = "accepted"

    @property
    def editable(self) -> bool:
        return self in (EvidenceStatus.DRAFT, EvidenceStatus.REFERRED)

    @property
    def label(self) -> str:
        return {"submitted": "Submitted, awaiting assessment", "referred": "Referred back"}.get(
            self.value, self.value.capitalize()
        )


class Evidence(CreatedMixin, Base):
    __tablename__ = "evidence"
    __table_args__ = (
        # The caseload and overdue lists: items waiting for a decision, oldest clock first,
        # ties by id (the order the lists show, so a page is read from the index and stops).
        Index("ix_evidence_status_awaiting_since_id", "status", "awaiting_since", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"))
    type_id: Mapped[str] = mapped_column(String(64))
    type_version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[EvidenceStatus] = mapped_column(
        str_enum(EvidenceStatus), default=EvidenceStatus.DRAFT
    )
    # The working copy: section id -> text, and the marking point ids the learner means to claim.
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    draft_claims: Mapped[list[str]] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # How the learner settled personal-data and real-work flags since the last submission:
    # dismissed with a reason, or fixed with the one-click replacement (kind, path and label
    # only, never the removed detail). Moved into the submission's `checks` on submitting.
    dismissals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # When the turnaround clock of the decision this item waits for started (its latest
    # submission, or an IQA reopening the decision on it); None while nothing is awaited.
    # Kept with `status`, so "overdue" is one indexed comparison, whatever the calendar says.
    awaiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two tabs on one draft: the save made from the older copy is refused.
    version: Mapped[int] = mapped_column(default=1)

    learner: Mapped[User] = relationship()
    element: Mapped[Element] = relationship()
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="evidence", order_by="Submission.number", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="evidence", order_by="Attachment.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def latest(self) -> Submission | None:
        return self.submissions[-1] if self.submissions else None


submission_claim = Table(
    "submission_claim",
    Base.metadata,
    Column("submission_id", ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("marking_point_id", ForeignKey("marking_point.id"), primary_key=True),
)


class Submission(Base):
    """What the learner signed and sent. Never updated after it is written."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("evidence_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    type_version: Mapped[int]
    rubric_version: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    declared_name: Mapped[str] = mapped_column(String(120))
    # SHA-256 of the canonical JSON of title, content and claims: what was declared own work.
    content_hash: Mapped[str] = mapped_column(String(64))

    # What the personal-data and real-work checks found in exactly this content, and how
    # each flag was settled (fixed, or dismissed with the learner's reason).
    checks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    evidence: Mapped[Evidence] = relationship(back_populates="submissions")
    claims: Mapped[list[MarkingPoint]] = relationship(
        secondary=submission_claim, order_by="MarkingPoint.position"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        secondary="submission_attachment", order_by="Attachment.id"
    )


class Attachment(Base):
    """A supporting file: stored outside the web root under a generated name, its type
    decided from its bytes. Once part of a submission it is never changed or removed."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    # Kept beside the evidence's learner so quota sums are one query.
    learner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The learner's file name, checked (no path, no control characters), for downloads.
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    evidence: Mapped[Evidence] = relationship(back_populates="attachments")


submission_attachment = Table(
    "submission_attachment",
    Base.metadata,
    Column("submission_id", ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("attachment_id", ForeignKey("attachment.id"), primary_key=True),
)
