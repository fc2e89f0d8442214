"""Assessors' decisions on submissions, marking point by marking point."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.models import User
from portfolio.db import Base, UTCDateTime, str_enum, utcnow
from portfolio.evidence.models import Submission
from portfolio.qualifications.models import MarkingPoint


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    REFERRED = "referred"

    @property
    def label(self) -> str:
        return {"accepted": "Accepted", "referred": "Referred back"}[self.value]


class PointStatus(enum.StrEnum):
    MET = "met"
    NOT_YET_MET = "not_yet_met"

    @property
    def label(self) -> str:
        return {"met": "Met", "not_yet_met": "Not yet met"}[self.value]


class Decision(Base):
    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(
            "outcome <> 'referred' OR length(feedback) > 0", name="referral_has_feedback"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One decision per submission: a double-clicked decision cannot record twice.
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome))
    feedback: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship()
    assessor: Mapped[User] = relationship()
    points: Mapped[list[PointDecision]] = relationship(
        back_populates="decision", cascade="all, delete-orphan"
    )


class PointDecision(Base):
    __tablename__ = "point_decision"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decision.id", ondelete="CASCADE"), primary_key=True
    )
    marking_point_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("marking_point.id"), primary_key=True
    )
    status: Mapped[PointStatus] = mapped_column(str_enum(PointStatus))
    comment: Mapped[str] = mapped_column(Text, default="")

    decision: Mapped[Decision] = relationship(back_populates="points")
    marking_point: Mapped[MarkingPoint] = relationship()
