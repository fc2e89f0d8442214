"""Signing off an element: the learner's assessor confirms every marking point is met, and the
decisions that met them are frozen with the sign-off and written to the audit trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portfolio.assessment.models import ElementSignOff
from portfolio.assessment.tracking import ElementGrid, tracking_grid
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.extensions import db
from portfolio.qualifications.models import Element

ALREADY = "This element is already signed off."


class SignOffRefused(Exception):
    """The element was not signed off; the message says why."""


def may_sign_off(viewer: User, learner: User, grid: ElementGrid) -> bool:
    """Whether to offer the viewer the sign-off button for this element."""
    return learner.assessor_id == viewer.id and grid.complete and grid.sign_off is None


def sign_off_element(assessor: User, learner: User, element: Element) -> ElementSignOff:
    """Sign off an element for a learner in the assessor's caseload, once every live marking
    point is met by a standing decision; with a snapshot of what met each point, and an entry
    in the audit trail in the same transaction."""
    if learner.assessor_id != assessor.id:
        raise SignOffRefused("Only the learner's own assessor can sign off their elements.")
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
