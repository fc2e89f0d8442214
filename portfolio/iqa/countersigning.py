"""Countersigning a trainee assessor's decisions: a trainee's decision stands once an IQA other
than its maker has countersigned it, once."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.orm import joinedload

from portfolio.assessment import progress
from portfolio.assessment.models import Decision
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.core.paging import PageArg, Paged, count, paginate
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence, Submission
from portfolio.extensions import db
from portfolio.iqa.proposals import Refused


def _awaiting(viewer: User) -> Select[Decision]:
    """Live decisions that need a countersignature and have none, except the viewer's own.
    The conditions are exactly those of the partial index on them (iqa.models)."""
    return select(Decision).where(*_awaiting_where(viewer.id))


def _awaiting_where(viewer_id: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Decision.needs_countersignature.is_(True),
        Decision.countersigned_at.is_(None),
        Decision.superseded_at.is_(None),
        Decision.assessor_id != viewer_id,
    )


@functools.lru_cache(maxsize=256)
def _awaiting_count(viewer_id: int) -> Select[int]:
    """How many wait, counted on the partial index (not over a subquery of whole rows); the
    statement remembered per viewer."""
    return select(func.count()).select_from(Decision).where(*_awaiting_where(viewer_id))


def _shown(query: Select[Decision]) -> Select[Decision]:
    return query.options(
        joinedload(Decision.assessor),
        joinedload(Decision.submission)
        .joinedload(Submission.evidence)
        .joinedload(Evidence.learner),
    ).order_by(Decision.decided_at, Decision.id)


def awaiting_query(viewer: User) -> Select[Decision]:
    """The page's main query, oldest first (for the test that reads its plan)."""
    return _shown(_awaiting(viewer))


def awaiting_countersignature(viewer: User) -> Sequence[Decision]:
    """Every decision awaiting a countersignature, oldest first (the pages use `awaiting_page`)."""
    return db.session.scalars(_shown(_awaiting(viewer))).all()


def count_awaiting(viewer: User) -> int:
    return db.session.scalar(_awaiting_count(viewer.id)) or 0


@dataclass(frozen=True)
class Waiting:
    """An assessor with decisions awaiting countersignature, for the filter."""

    assessor_id: int
    name: str
    decisions: int


def awaiting_by_assessor(viewer: User) -> list[Waiting]:
    """Whose decisions wait, and how many: one GROUP BY."""
    awaiting = _awaiting(viewer).subquery()
    rows = db.session.execute(
        select(awaiting.c.assessor_id, User.name, func.count())
        .join(User, User.id == awaiting.c.assessor_id)
        .group_by(awaiting.c.assessor_id, User.name)
        .order_by(User.name, awaiting.c.assessor_id)
    )
    return [Waiting(r[0], r[1], r[2]) for r in rows]


def awaiting_page(viewer: User, asked: PageArg, assessor_id: int | None = None) -> Paged[Decision]:
    """One page of the decisions awaiting countersignature, oldest first, optionally one
    assessor's."""
    query = _awaiting(viewer)
    if assessor_id is not None:
        query = query.where(Decision.assessor_id == assessor_id)
    return paginate(_shown(query), asked, total=count(query))


def get_decision(decision_id: int) -> Decision | None:
    return db.session.get(Decision, decision_id)


def countersign(decision: Decision, by: User) -> None:
    if decision.assessor_id == by.id:
        raise Refused("You cannot countersign your own decision.")
    if not decision.needs_countersignature:
        raise Refused("This decision does not need a countersignature.")
    if decision.superseded_at is not None:
        raise Refused("This decision has been reopened: countersign the new one.")
    now = utcnow()
    # Conditional, so two people countersigning at once cannot both succeed.
    signed = db.session.execute(
        update(Decision)
        .where(
            Decision.id == decision.id,
            Decision.countersigned_at.is_(None),
            Decision.superseded_at.is_(None),
        )
        .values(countersigned_by_id=by.id, countersigned_at=now)
    )
    if signed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Refused("This decision has already been countersigned.")
    item = decision.submission.evidence
    progress.refresh_progress(item.learner_id, item.element_id)
    audit.record(
        "decision.countersigned",
        "decision",
        decision.id,
        actor_id=by.id,
        learner_id=decision.submission.evidence.learner_id,
        before={"countersigned_by": None},
        after={
            "countersigned_by": by.id,
            "countersigned_at": now,
            "assessor": decision.assessor_id,
            "outcome": decision.outcome.value,
        },
    )
    db.session.commit()
