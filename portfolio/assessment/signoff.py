"""Signing off an element: the learner's assessor confirms every marking point is met, and the
decisions that met them are frozen with the sign-off and written to the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portfolio.assessment.models import (
    AssessorStatus,
    Decision,
    ElementSignOff,
    SamplingPlan,
)
from portfolio.assessment.tracking import ElementGrid, tracking_grid
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.extensions import db
from portfolio.qualifications.models import Element

ALREADY = "This element is already signed off."


class SignOffRefused(Exception):
    """The element was not signed off; the message says why."""


def _is_trainee(assessor: User) -> bool:
    plan = db.session.get(SamplingPlan, assessor.id)
    return plan is not None and plan.status is AssessorStatus.TRAINEE


def may_sign_off(viewer: User, learner: User, grid: ElementGrid[Any]) -> bool:
    """Whether to offer the viewer the sign-off button for this element."""
    return (
        learner.assessor_id == viewer.id
        and grid.complete
        and grid.sign_off is None
        and not _is_trainee(viewer)
    )


def sign_off_element(assessor: User, learner: User, element: Element) -> ElementSignOff:
    """Sign off an element for a learner in the assessor's caseload, once every live marking
    point is met by a standing decision; with a snapshot of what met each point, and an entry
    in the audit trail in the same transaction."""
    if learner.assessor_id != assessor.id:
        raise SignOffRefused("Only the learner's own assessor can sign off their elements.")
    if _is_trainee(assessor):
        # A trainee's decisions stand only once countersigned; an element's sign-off, which
        # the awarding organisation relies on, is for a qualified assessor.
        raise SignOffRefused(
            "A trainee assessor cannot sign off an element: ask a qualified assessor."
        )
    taken = select(ElementSignOff.id).where(
        ElementSignOff.learner_id == learner.id, ElementSignOff.element_id == element.id
    )
    if db.session.scalar(taken) is not None:
        raise SignOffRefused(ALREADY)
    grid = next((g for g in tracking_grid(learner) if g.element.id == element.id), None)
    if grid is None or not grid.complete:
        raise SignOffRefused("Not every marking point of this element is met yet.")
    points = grid.evidence_of_points()
    sign_off = ElementSignOff(
        learner_id=learner.id,
        element_id=element.id,
        assessor_id=assessor.id,
        rubric_version=element.version,
        snapshot={"points": points},
    )
    db.session.add(sign_off)
    try:
        # Two sign-offs at once (a double click, two tabs) both pass the check above: the
        # unique (learner, element) constraint lets one in and this one fails here.
        db.session.flush()
        audit.record(
            "element.signed_off",
            "element_sign_off",
            sign_off.id,
            actor_id=assessor.id,
            learner_id=learner.id,
            after={
                "element": element.id,
                "rubric_version": element.version,
                "signed_at": sign_off.signed_at,
                "points": points,
            },
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SignOffRefused(ALREADY) from None
    return sign_off


def withdraw_sign_offs_resting_on(decision: Decision, actor_id: int | None) -> int:
    """A sign-off rests on the decisions in its snapshot: when one of them is reopened the
    sign-off is withdrawn (its row removed, its snapshot kept in the audit trail), so no
    element shows as signed off on a decision that no longer stands. The caller commits."""
    learner_id = decision.submission.evidence.learner_id
    withdrawn = 0
    for sign_off in db.session.scalars(
        select(ElementSignOff).where(ElementSignOff.learner_id == learner_id)
    ):
        points = sign_off.snapshot.get("points", {})
        if decision.id not in {p.get("decision_id") for p in points.values()}:
            continue
        audit.record(
            "element.sign_off_withdrawn",
            "element_sign_off",
            sign_off.id,
            actor_id=actor_id,
            learner_id=learner_id,
            before={
                "element": sign_off.element_id,
                "assessor": sign_off.assessor_id,
                "signed_at": sign_off.signed_at,
                "points": points,
            },
            after={"reason": f"decision {decision.id} was reopened"},
        )
        db.session.delete(sign_off)
        withdrawn += 1
    return withdrawn
