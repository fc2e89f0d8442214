"""A learner's evidence as their list shows it: one row per item with its element's title and
its latest submission's time, in one statement. No Evidence entities with their submissions and
claims: the list shows none of those, and loading them cost more than drawing the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, select

from portfolio.auth.models import User
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from portfolio.qualifications.models import Element


@dataclass(frozen=True)
class LatestSubmission:
    submitted_at: datetime


@dataclass(frozen=True)
class ListedEvidence:
    """One row of the learner's list. Has what assessment's expected_decision reads of an
    Evidence (status, awaiting_since, latest.submitted_at) as well as what the row shows."""

    id: int
    title: str
    element_title: str
    status: EvidenceStatus
    saved_at: datetime
    awaiting_since: datetime | None
    latest: LatestSubmission | None


def evidence_rows(learner: User) -> list[ListedEvidence]:
    """The learner's evidence in list_for_learner's order (element, then when started)."""
    rows = db.session.execute(_evidence_rows(), {"learner_id": learner.id})
    return [
        ListedEvidence(
            id,
            title,
            element,
            status,
            saved,
            awaiting,
            None if at is None else LatestSubmission(at),
        )
        for id, title, element, status, saved, awaiting, at in rows
    ]


@cache
def _evidence_rows() -> Select[int, str, str, EvidenceStatus, datetime, datetime | None, datetime]:
    """Built once, the learner bound at each run: building it, and the cache key SQLAlchemy
    finds its compiled form by, cost about what running it does."""
    latest = (
        select(Submission.submitted_at)
        .where(Submission.evidence_id == Evidence.id)
        .order_by(Submission.number.desc())
        .limit(1)
        .correlate(Evidence)
        .scalar_subquery()
    )
    return (
        select(
            Evidence.id,
            Evidence.title,
            Element.title,
            Evidence.status,
            Evidence.saved_at,
            Evidence.awaiting_since,
            latest,
        )
        .join(Element, Element.id == Evidence.element_id)
        .where(Evidence.learner_id == bindparam("learner_id"))
        .order_by(Evidence.element_id, Evidence.created_at)
    )
