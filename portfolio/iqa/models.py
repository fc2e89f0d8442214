"""Internal quality assurance: the samples IQAs take of assessors' decisions, and what the IQA
made of each sampled decision. (Each assessor's sampling plan is assessment.models.SamplingPlan:
assessment reads it too, to know whose decisions need countersigning.)"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.assessment.models import Decision
from portfolio.auth.models import User
from portfolio.db import Base, UTCDateTime, str_enum, utcnow
from portfolio.iqa.snapshot import Frozen
from portfolio.iqa.snapshot import read as read_snapshot


class Verdict(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"

    @property
    def label(self) -> str:
        return {"agree": "Agreed", "disagree": "Disagreed"}[self.value]


class Sample(Base):
    """One sample an IQA took: the items chosen, each with why."""

    __tablename__ = "sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    iqa_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Indexed: the default period starts at the newest sample.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # What the proposal was asked for (period, assessors, ...), for the record.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    iqa: Mapped[User] = relationship()
    items: Mapped[list[SampleItem]] = relationship(
        back_populates="sample", order_by="SampleItem.id", cascade="all, delete-orphan"
    )

    @property
    def period(self) -> tuple[date, date] | None:
        found = self.parameters.get("period")
        if not found:
            return None
        return date.fromisoformat(found["since"]), date.fromisoformat(found["until"])

    @property
    def reviewed(self) -> int:
        return sum(i.verdict is not None for i in self.items)

    @property
    def disagreed(self) -> int:
        return sum(i.verdict is Verdict.DISAGREE for i in self.items)


class SampleItem(Base):
    """A sampled decision, frozen as it stood when sampled, and the IQA's verdict on it."""

    __tablename__ = "sample_item"
    __table_args__ = (
        UniqueConstraint("sample_id", "decision_id"),
        # The samples lists count each sample's items and verdicts in one GROUP BY
        # (services.tallies): with the verdict in the index SQLite never visits the table
        # (10 ms to 1-2 ms for a page of 30 samples of 10,000 items).
        Index("ix_sample_item_sample_id_verdict", "sample_id", "verdict"),
        CheckConstraint(
            "verdict IS NULL OR verdict <> 'disagree' OR length(feedback) > 0",
            name="disagreement_has_feedback",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    # The submission, decision and point marks as they were when sampled.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[Verdict | None] = mapped_column(str_enum(Verdict))
    feedback: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The assessor's new decision after a disagreement.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sample: Mapped[Sample] = relationship(back_populates="items")
    decision: Mapped[Decision] = relationship()

    @property
    def frozen(self) -> Frozen:
        return read_snapshot(self.snapshot)

    @property
    def state(self) -> str:
        """Where the review stands, in words."""
        if self.verdict is None:
            return "To review"
        if self.verdict is Verdict.AGREE:
            return "Agreed"
        if self.resolved_at is not None:
            return "Disagreed; the assessor has decided again"
        return "Disagreed; back with the assessor"


# Indexes on assessment's decision table for the IQA pages' queries. They are declared here,
# beside the queries that need them, so the assessment models stay IQA-free; they are part of
# the same metadata (and so of create_all and Alembic) all the same.
_LIVE = "superseded_at IS NULL"
# The proposal reads the live decisions of a period, oldest first (proposals._candidates):
# tens of thousands of rows, so the index also holds the columns it reads (SQLite then never
# visits the table; a quarter less time at 40,000 decisions).
Index(
    "ix_decision_live_decided_at",
    Decision.decided_at,
    Decision.id,
    Decision.assessor_id,
    Decision.submission_id,
    Decision.outcome,
    sqlite_where=text(_LIVE),
    postgresql_where=text(_LIVE),
)
# A worked-out proposal is kept until a decision is reopened: the newest reopening is read
# from the few superseded decisions (proposals._version).
Index(
    "ix_decision_superseded_at",
    Decision.superseded_at,
    sqlite_where=text("superseded_at IS NOT NULL"),
    postgresql_where=text("superseded_at IS NOT NULL"),
)
# The plans page counts each assessor's decisions of the last 90 days (services.plan_rows).
Index("ix_decision_assessor_decided_at", Decision.assessor_id, Decision.decided_at)
# Decisions awaiting a countersignature, oldest first (countersigning._awaiting): a few
# trainees' decisions among tens of thousands. Led by the flag the query tests for equality, so
# SQLite prefers it (without statistics) to the period index, whose condition the query also
# meets; partial, so it holds only the decisions still waiting.
_WAITING = "countersigned_at IS NULL AND superseded_at IS NULL"
Index(
    "ix_decision_awaiting_countersignature",
    Decision.needs_countersignature,
    Decision.decided_at,
    Decision.id,
    sqlite_where=text(_WAITING),
    postgresql_where=text(_WAITING),
)
