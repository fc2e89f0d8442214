"""Each learner's progress on each marking point, kept for the cohort matrix and its totals:
point_met (met) and point_under_way (in progress); a point in neither is not started.

A point is met when a standing decision (not superseded; a trainee's only once countersigned)
on an item's latest attempt marks it met. It is under way when it is not met and an item's
latest attempt claims it without a standing mark on it, or its live decision marks it not yet
met, or marks it at all in a trainee's decision awaiting countersignature: what the tracking
grid and the cohort matrix would work out from the decisions themselves.

`refresh_progress` works a learner's points of one element out again from those rows and
rewrites both tables; every service that can change them calls it in its own transaction
(recording a decision, an IQA reopening one, a countersignature, a new attempt at an item), so
the kept rows never disagree with the decisions. `rebuild_progress` fills both for everyone
(the generated centre; the migrations' backfills do the same). The centre's tallies of met
points (centre_tally) move with them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Integer,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from portfolio.assessment import centre_tally
from portfolio.assessment.models import (
    Decision,
    PointDecision,
    PointMet,
    PointStatus,
    PointUnderWay,
)
from portfolio.auth.models import User
from portfolio.evidence import events
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission, submission_claim
from portfolio.extensions import db


def _is_latest() -> ColumnElement[bool]:
    """The submission is its item's latest attempt (older attempts' decisions are history)."""
    newer = aliased(Submission, name="newer")
    return ~(
        select(newer.id)
        .where(newer.evidence_id == Submission.evidence_id, newer.number > Submission.number)
        .exists()
    )


def met_points(*where: ColumnElement[bool]) -> Any:
    """(learner_id, element_id, marking_point_id) of every point met, once each, of the items
    `where` selects. Only an accepted or referred item's latest attempt carries a standing
    decision, so only those items are read; an older attempt's decision is history."""
    return (
        select(Evidence.learner_id, Evidence.element_id, PointDecision.marking_point_id)
        .select_from(Evidence)
        .join(Submission, Submission.evidence_id == Evidence.id)
        .join(Decision, Decision.submission_id == Submission.id)
        .join(PointDecision, PointDecision.decision_id == Decision.id)
        .where(
            Evidence.status.in_([EvidenceStatus.ACCEPTED, EvidenceStatus.REFERRED]),
            _is_latest(),
            Decision.superseded_at.is_(None),
            # A trainee's decision meets nothing until it is countersigned.
            or_(Decision.needs_countersignature.is_(False), Decision.countersigned_at.is_not(None)),
            PointDecision.status == PointStatus.MET,
            *where,
        )
        .distinct()
    )


def under_way_points(*where: ColumnElement[bool]) -> Any:
    """(learner_id, element_id, marking_point_id, awaiting) of every point under way on the
    items `where` selects, met or not (the refresh leaves out the met ones): claimed on a
    latest attempt with no standing mark on it, or marked by a trainee's decision awaiting
    countersignature (both awaiting: 1), or marked not yet met by the live decision (0).
    Once each: awaiting if any item awaits."""
    live_mark = (
        select(PointDecision.decision_id)
        .join(Decision, Decision.id == PointDecision.decision_id)
        .where(
            Decision.submission_id == Submission.id,
            Decision.superseded_at.is_(None),
            PointDecision.marking_point_id == submission_claim.c.marking_point_id,
        )
        .exists()
    )
    claimed = (
        select(
            Evidence.learner_id,
            Evidence.element_id,
            submission_claim.c.marking_point_id,
            literal(1, Integer).label("awaiting"),
        )
        .select_from(Evidence)
        .join(Submission, Submission.evidence_id == Evidence.id)
        .join(submission_claim, submission_claim.c.submission_id == Submission.id)
        .where(_is_latest(), ~live_mark, *where)
    )
    pending = and_(Decision.needs_countersignature.is_(True), Decision.countersigned_at.is_(None))
    marked = (
        select(
            Evidence.learner_id,
            Evidence.element_id,
            PointDecision.marking_point_id,
            case((pending, 1), else_=0).label("awaiting"),
        )
        .select_from(Evidence)
        .join(Submission, Submission.evidence_id == Evidence.id)
        .join(Decision, Decision.submission_id == Submission.id)
        .join(PointDecision, PointDecision.decision_id == Decision.id)
        .where(
            _is_latest(),
            Decision.superseded_at.is_(None),
            or_(PointDecision.status == PointStatus.NOT_YET_MET, pending),
            *where,
        )
    )
    found = union_all(claimed, marked).subquery()
    return select(
        found.c.learner_id,
        found.c.element_id,
        found.c.marking_point_id,
        func.max(found.c.awaiting).label("awaiting"),
    ).group_by(found.c.learner_id, found.c.element_id, found.c.marking_point_id)


def _insert_ignoring_present(table: type[PointMet] | type[PointUnderWay], rows: Any) -> Insert:
    """INSERT ... SELECT that skips rows already there: a transaction refreshing the same
    learner at the same moment may have written them first."""
    columns = ["learner_id", "element_id", "marking_point_id"]
    if table is PointUnderWay:
        columns.append("awaiting")
    if db.engine.dialect.name == "postgresql":
        return postgresql.insert(table).from_select(columns, rows).on_conflict_do_nothing()
    if db.engine.dialect.name == "sqlite":
        return sqlite.insert(table).from_select(columns, rows).on_conflict_do_nothing()
    return insert(table).from_select(columns, rows)


def _not_met(rows: Any) -> Any:
    """The rows of an under_way_points query not in point_met, awaiting as a boolean."""
    found = rows.subquery()
    return select(
        found.c.learner_id,
        found.c.element_id,
        found.c.marking_point_id,
        found.c.awaiting == 1,
    ).where(
        ~select(PointMet.learner_id)
        .where(
            PointMet.learner_id == found.c.learner_id,
            PointMet.element_id == found.c.element_id,
            PointMet.marking_point_id == found.c.marking_point_id,
        )
        .exists()
    )


def _met_of(learner_id: int, element_id: str) -> set[str]:
    return set(
        db.session.scalars(
            select(PointMet.marking_point_id).where(
                PointMet.learner_id == learner_id, PointMet.element_id == element_id
            )
        )
    )


def refresh_progress(learner_id: int, element_id: str) -> None:
    """Work out again which points of the element the learner has met and which are under way,
    keep exactly those, and move the centre's tallies by the difference. Call inside the
    transaction of the change, after it (the session flushes it first)."""
    # One refresh of a learner at a time (two assessors deciding two of their items at once):
    # each reads what the other wrote, so the tallies move once for each change. SQLite's
    # writer already holds its lock here; PostgreSQL takes the learner's row.
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == learner_id).with_for_update())
    before = _met_of(learner_id, element_id)
    for table in (PointMet, PointUnderWay):
        db.session.execute(
            delete(table).where(table.learner_id == learner_id, table.element_id == element_id)
        )
    mine = (Evidence.learner_id == learner_id, Evidence.element_id == element_id)
    db.session.execute(_insert_ignoring_present(PointMet, met_points(*mine)))
    db.session.execute(_insert_ignoring_present(PointUnderWay, _not_met(under_way_points(*mine))))
    centre_tally.record_change(element_id, before, _met_of(learner_id, element_id))


def rebuild_progress() -> tuple[int, int]:
    """Every learner's met and under-way points worked out again from the decisions; the
    caller commits. Returns how many of each are kept."""
    db.session.execute(delete(PointMet))
    db.session.execute(delete(PointUnderWay))
    db.session.execute(_insert_ignoring_present(PointMet, met_points()))
    db.session.execute(_insert_ignoring_present(PointUnderWay, _not_met(under_way_points())))
    centre_tally.rebuild()
    return (
        int(db.session.scalar(select(func.count()).select_from(PointMet)) or 0),
        int(db.session.scalar(select(func.count()).select_from(PointUnderWay)) or 0),
    )


@events.attempt_submitted.connect
def _on_attempt_submitted(evidence: Evidence) -> None:
    refresh_progress(evidence.learner_id, evidence.element_id)
