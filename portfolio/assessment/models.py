"""Assessors' decisions on submissions, marking point by marking point."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"met": "Met", "not_yet_met": "Not yet met", "not_applicable": "Not applicable"}[
            self.value
        ]


_LIVE = "superseded_at IS NULL"


class Decision(Base):
    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint(
            "outcome <> 'referred' OR length(feedback) > 0", name="referral_has_feedback"
        ),
        # One live decision per submission: a double-clicked or concurrent second decision
        # cannot record. A decision an IQA reopens is superseded, and kept.
        Index(
            "uq_decision_live_submission",
            "submission_id",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed for the superseded (reopened) decisions of a page of submissions; the live one
    # has the partial unique index below.
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome))
    feedback: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when an internal quality assurer disagreed and reopened it for the assessor.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A trainee assessor's decision stands only once a qualified assessor or IQA countersigns.
    needs_countersignature: Mapped[bool] = mapped_column(default=False)
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    countersigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    submission: Mapped[Submission] = relationship()
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    countersigned_by: Mapped[User | None] = relationship(foreign_keys=[countersigned_by_id])
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


class PointMet(Base):
    """A marking point a learner has met, kept: met by a standing decision (live, and
    countersigned if a trainee's) on an item's latest attempt, as the tracking grid reads it.
    portfolio/assessment/progress.py rewrites a learner's rows for an element in the
    transaction of every change that can alter them (a decision, an IQA reopening it, a
    countersignature, a new attempt), so the cohort totals count these few rows instead of
    every decision of the centre. Retired points are kept too: readers name the live ones."""

    __tablename__ = "point_met"

    learner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[str] = mapped_column(String(64), ForeignKey("element.id"), primary_key=True)
    marking_point_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("marking_point.id"), primary_key=True
    )


class PointUnderWay(Base):
    """A marking point in progress for a learner, kept beside point_met: not met, and an item's
    latest attempt claims it without a standing mark on it, marks it not yet met, or marks it
    in a trainee's decision awaiting countersignature (the cohort matrix's "In progress").
    Rewritten with point_met by portfolio/assessment/progress.py in the same transactions, so
    a page of the matrix reads its learners' few rows instead of their items' every claim and
    decision."""

    __tablename__ = "point_under_way"

    learner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    element_id: Mapped[str] = mapped_column(String(64), ForeignKey("element.id"), primary_key=True)
    marking_point_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("marking_point.id"), primary_key=True
    )
    # Waiting on an assessor or a countersignature (claimed and not marked, or marked by a
    # trainee's decision not yet countersigned), rather than only judged not yet met: the
    # learner's home page tells the two apart.
    awaiting: Mapped[bool] = mapped_column(default=False)


class PointTally(Base):
    """How many learners of the whole centre have met each marking point (rows of point_met
    by point), kept by portfolio/assessment/centre_tally.py in the transaction of every change
    to point_met, so the cohort page's totals for every learner read a row a point instead of
    every learner's met points. Retired points keep their rows: readers name the live ones."""

    __tablename__ = "point_tally"

    marking_point_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("marking_point.id"), primary_key=True
    )
    learners: Mapped[int] = mapped_column(default=0)


class ElementTally(Base):
    """How many learners of the whole centre have met exactly `met` (one or more) of an
    element's live marking points: the learners who have met them all are the row whose `met`
    is the element's number of live points. Kept with PointTally; counted against the live
    points named in TallyState, and rebuilt when those change."""

    __tablename__ = "element_tally"

    element_id: Mapped[str] = mapped_column(String(64), ForeignKey("element.id"), primary_key=True)
    met: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    learners: Mapped[int] = mapped_column(default=0)


class TallyState(Base):
    """The live marking points the kept tallies were counted against (their ids, sorted,
    comma-separated). Readers use the tallies only while the rubric's live points are these."""

    __tablename__ = "tally_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    live_points: Mapped[str] = mapped_column(Text, default="")


class CommentBankEntry(Base):
    """A reusable comment for one marking point, kept by assessors."""

    __tablename__ = "comment_bank_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    marking_point_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("marking_point.id"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ElementSignOff(Base):
    """An assessor signed off an element as complete: every marking point met. The snapshot
    freezes which decisions met which points at that moment."""

    __tablename__ = "element_sign_off"
    __table_args__ = (UniqueConstraint("learner_id", "element_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(64), ForeignKey("element.id"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    rubric_version: Mapped[int]
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])


class AssessorStatus(enum.StrEnum):
    QUALIFIED = "qualified"
    NEW = "new"  # qualified, but new to the centre: sampled more
    TRAINEE = "trainee"  # working towards the assessor award: decisions need countersigning

    @property
    def label(self) -> str:
        return {"qualified": "Qualified", "new": "New to the centre", "trainee": "Trainee"}[
            self.value
        ]


class SamplingPlan(Base):
    """How much of one assessor's work the IQAs sample."""

    __tablename__ = "sampling_plan"
    __table_args__ = (CheckConstraint("percentage BETWEEN 0 AND 100", name="percentage_range"),)

    assessor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    status: Mapped[AssessorStatus] = mapped_column(
        str_enum(AssessorStatus), default=AssessorStatus.QUALIFIED
    )
    percentage: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
