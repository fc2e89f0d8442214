"""The rules a decision must pass before services.record_decision writes it, and what happens
when one is refused: the refusal goes to the audit trail and the log, and nothing else changes."""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from portfolio.assessment.feedback import (
    PRAISE_PROBLEM,
    feedback_problem,
    is_generic_praise,
    point_message,
    referral_message,
)
from portfolio.assessment.models import (
    AssessorStatus,
    Decision,
    Outcome,
    PointStatus,
    SamplingPlan,
)
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.extensions import db

EMPTY_REFERRAL = "A referral must tell the learner what to do."


class Refusal(enum.StrEnum):
    """Why a decision was not recorded, as the audit trail names it."""

    CASELOAD = "outside_caseload"
    DECIDED = "already_decided"
    NOT_LATEST = "not_latest_attempt"
    NOT_SUBMITTED = "not_awaiting_decision"
    STALE = "changed_since_opened"
    TAMPERED = "tampered_form"
    INVALID = "invalid_marking"


class DecisionRefused(Exception):
    """The decision was not recorded; the message says why. `existing` is the decision that
    was recorded first, when that is why, so the page can show it beside the refused one."""

    def __init__(
        self,
        message: str,
        reason: Refusal = Refusal.INVALID,
        existing: Decision | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.existing = existing


@dataclass(frozen=True)
class PointMark:
    status: PointStatus
    comment: str
    # Keep the comment in the comment bank for this marking point, for next time.
    save_to_bank: bool = False


def refuse(
    assessor: User,
    submission_id: int,
    reason: Refusal,
    message: str,
    *,
    learner_id: int | None = None,
    existing: Decision | None = None,
    detail: Mapping[str, Any] | None = None,
) -> DecisionRefused:
    """Undo whatever the request had changed, then record the refusal on its own: an
    awarding organisation can see every attempt that did not stand, and why."""
    actor_id, existing_id = assessor.id, existing.id if existing is not None else None
    db.session.rollback()
    after: dict[str, Any] = {"reason": reason.value, "message": message, **(detail or {})}
    if existing_id is not None:
        after["decision_already_recorded"] = existing_id
    audit.record(
        "decision.refused",
        "submission",
        submission_id,
        actor_id=actor_id,
        learner_id=learner_id,
        after=after,
    )
    db.session.commit()
    current_app.logger.warning(
        "Decision refused: user %s on submission %s: %s (%s)",
        actor_id,
        submission_id,
        reason.value,
        message,
    )
    return DecisionRefused(message, reason, existing)


def marking_problem(
    live_points: Collection[str],
    claimed: Collection[str],
    marks: Mapping[str, PointMark],
    outcome: Outcome,
    feedback: str,
) -> str | None:
    """What is wrong with these marks and feedback, or None. The form says the same things
    beside each field; this is the rule for any caller."""
    if set(marks) - set(live_points):
        return "A marking point does not belong to this element."
    if set(claimed) - set(marks):
        return "Mark every marking point the learner claimed."
    for point_id, mark in sorted(marks.items()):
        # (The form also asks for a comment on every point not yet met.)
        if mark.status is PointStatus.NOT_YET_MET and is_generic_praise(mark.comment):
            return f"{point_id}: {point_message(PRAISE_PROBLEM)}"
    if outcome is Outcome.REFERRED:
        if not feedback.strip():
            return EMPTY_REFERRAL
        problem = feedback_problem(feedback)
        if problem:
            return referral_message(problem)
    return None


def needs_countersignature(assessor: User) -> bool:
    """A trainee assessor's decisions stand only once countersigned."""
    plan = db.session.get(SamplingPlan, assessor.id)
    return plan is not None and plan.status is AssessorStatus.TRAINEE


def point_record(marks: Mapping[str, PointMark]) -> dict[str, dict[str, str]]:
    return {
        point_id: {"status": mark.status.value, "comment": mark.comment.strip()}
        for point_id, mark in sorted(marks.items())
    }


def same_decision(
    decision: Decision,
    assessor: User,
    marks: Mapping[str, PointMark],
    outcome: Outcome,
    feedback: str,
) -> bool:
    """Whether `decision` is exactly this one, by this assessor: a repeat of the same request
    (a double click), not a second opinion."""
    recorded = {p.marking_point_id: (p.status, p.comment) for p in decision.points}
    posted = {k: (m.status, m.comment.strip()) for k, m in marks.items()}
    return (
        decision.assessor_id == assessor.id
        and decision.outcome is outcome
        and decision.feedback == feedback.strip()
        and recorded == posted
    )
