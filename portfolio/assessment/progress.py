"""The marking points each learner has met, kept in point_met for the cohort totals.

A point is met when a standing decision (not superseded; a trainee's only once countersigned)
on an item's latest attempt marks it met: what the tracking grid and the cohort matrix read
from the decisions themselves. `refresh_points_met` works a learner's met points of one element
out again from those rows and rewrites them; every service that changes them calls it in its
own transaction (recording a decision, an IQA reopening one, a countersignature, a new attempt
at an item), so the kept rows never disagree with the decisions. `rebuild_points_met` fills the
table for everyone (the generated centre, and the migration's backfill does the same)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Insert, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from portfolio.assessment.models import Decision, PointDecision, PointMet, PointStatus
from portfolio.evidence import events
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db


def met_points(*where: ColumnElement[bool]) -> Any:
    """(learner_id, element_id, marking_point_id) of every point met, once each, of the items
    `where` selects. Only an accepted or referred item's latest attempt carries a standing
    decision, so only those items are read; an older attempt's decision is history."""
    newer = aliased(Submission, name="newer")
    return (
        select(Evidence.learner_id, Evidence.element_id, PointDecision.marking_point_id)
        .select_from(Evidence)
        .join(Submission, Submission.evidence_id == Evidence.id)
        .join(Decision, Decision.submission_id == Submission.id)
        .join(PointDecision, PointDecision.decision_id == Decision.id)
        .where(
            Evidence.status.in_([EvidenceStatus.ACCEPTED, EvidenceStatus.REFERRED]),
            ~select(newer.id)
            .where(newer.evidence_id == Submission.evidence_id, newer.number > Submission.number)
            .exists(),
            Decision.superseded_at.is_(None),
            # A trainee's decision meets nothing until it is countersigned.
            or_(Decision.needs_countersignature.is_(False), Decision.countersigned_at.is_not(None)),
            PointDecision.status == PointStatus.MET,
            *where,
        )
        .distinct()
    )


def _insert_ignoring_present(rows: Any) -> Insert:
    """INSERT ... SELECT that skips rows already there: a transaction refreshing the same
    learner at the same moment may have written them first."""
    columns = ["learner_id", "element_id", "marking_point_id"]
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(PointMet).from_select(columns, rows).on_conflict_do_nothing()
    if db.engine.dialect.name == "sqlite":
        return sqlite.insert(PointMet).from_select(columns, rows).on_conflict_do_nothing()
    return insert(PointMet).from_select(columns, rows)


def refresh_points_met(learner_id: int, element_id: str) -> None:
    """Work out again which points of the element the learner has met and keep exactly those.
    Call inside the transaction of the change, after it (the session flushes it first)."""
    db.session.execute(
        delete(PointMet).where(PointMet.learner_id == learner_id, PointMet.element_id == element_id)
    )
    db.session.execute(
        _insert_ignoring_present(
            met_points(Evidence.learner_id == learner_id, Evidence.element_id == element_id)
        )
    )


def rebuild_points_met() -> int:
    """Every learner's met points worked out again from the decisions; the caller commits.
    Returns how many are kept."""
    db.session.execute(delete(PointMet))
    db.session.execute(_insert_ignoring_present(met_points()))
    return int(db.session.scalar(select(func.count()).select_from(PointMet)) or 0)


@events.attempt_submitted.connect
def _on_attempt_submitted(evidence: Evidence) -> None:
    refresh_points_met(evidence.learner_id, evidence.element_id)
