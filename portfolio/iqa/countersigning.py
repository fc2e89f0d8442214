"""Countersigning a trainee assessor's decisions: a trainee's decision stands once an IQA other
than its maker has countersigned it, once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portfolio.assessment.models import Decision
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence, Submission
from portfolio.extensions import db
from portfolio.iqa.services import Refused


def awaiting_countersignature(viewer: User) -> Sequence[Decision]:
    """Live decisions that need a countersignature and have none, except the viewer's own."""
    return db.session.scalars(
        select(Decision)
        .where(
            Decision.needs_countersignature.is_(True),
            Decision.countersigned_at.is_(None),
            Decision.superseded_at.is_(None),
            Decision.assessor_id != viewer.id,
        )
        .options(
            joinedload(Decision.assessor),
            joinedload(Decision.submission)
            .joinedload(Submission.evidence)
            .joinedload(Evidence.learner),
        )
        .order_by(Decision.decided_at, Decision.id)
    ).all()


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
