"""Assessors' queues and decisions. The tracking grid (tracking.py), the queue against the
turnaround clock (caseload.py) and the marking rules and refusals (marking.py) are re-exported
here: other features reach assessment through this module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portfolio.assessment import comment_bank, marking, progress, signoff
from portfolio.assessment.caseload import AssessorLoad as AssessorLoad
from portfolio.assessment.caseload import LearnerLoad as LearnerLoad
from portfolio.assessment.caseload import QueueFilter as QueueFilter
from portfolio.assessment.caseload import QueueItem as QueueItem
from portfolio.assessment.caseload import caseload_summary as caseload_summary
from portfolio.assessment.caseload import expected_decision as expected_decision
from portfolio.assessment.caseload import overdue_decisions as overdue_decisions
from portfolio.assessment.caseload import overdue_page as overdue_page
from portfolio.assessment.caseload import queue_item as queue_item
from portfolio.assessment.caseload import queue_items as queue_items
from portfolio.assessment.caseload import queue_page as queue_page
from portfolio.assessment.caseload import waiting_count as waiting_count
from portfolio.assessment.cohort import CohortFilter as CohortFilter
from portfolio.assessment.cohort import Scope as Scope
from portfolio.assessment.cohort import learner_count as learner_count
from portfolio.assessment.cohort import learner_page as learner_page
from portfolio.assessment.marking import DecisionRefused as DecisionRefused
from portfolio.assessment.marking import PointMark as PointMark
from portfolio.assessment.marking import Refusal as Refusal
from portfolio.assessment.marking import refuse as refuse
from portfolio.assessment.marking import same_decision as same_decision
from portfolio.assessment.models import Decision, Outcome, PointDecision
from portfolio.assessment.tracking import ElementCoverage as ElementCoverage
from portfolio.assessment.tracking import ElementGrid as ElementGrid
from portfolio.assessment.tracking import GridCell as GridCell
from portfolio.assessment.tracking import GridRow as GridRow
from portfolio.assessment.tracking import coverage_by_element as coverage_by_element
from portfolio.assessment.tracking import tracking_grid as tracking_grid
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications


def queue(assessor: User) -> Sequence[Submission]:
    """Submissions from this assessor's learners that await a decision, oldest first."""
    return db.session.scalars(
        select(Submission)
        .join(Evidence, Submission.evidence_id == Evidence.id)
        .join(User, Evidence.learner_id == User.id)
        .outerjoin(
            Decision,
            and_(Decision.submission_id == Submission.id, Decision.superseded_at.is_(None)),
        )
        .where(
            User.assessor_id == assessor.id,
            Decision.id.is_(None),
            Evidence.status == EvidenceStatus.SUBMITTED,
        )
        .order_by(Submission.submitted_at)
    ).all()


def decision_for(submission: Submission) -> Decision | None:
    """The decision that stands on this submission: not one an IQA has reopened."""
    return db.session.scalar(
        select(Decision).where(
            Decision.submission_id == submission.id, Decision.superseded_at.is_(None)
        )
    )


def superseded_decisions(evidence: Evidence) -> dict[int, list[Decision]]:
    """Decisions an IQA reopened, kept as history: by submission id, oldest first."""
    rows = db.session.scalars(
        select(Decision)
        .where(
            Decision.submission_id.in_([s.id for s in evidence.submissions]),
            Decision.superseded_at.is_not(None),
        )
        .order_by(Decision.superseded_at)
        .options(selectinload(Decision.points))
    )
    found: dict[int, list[Decision]] = {}
    for decision in rows:
        found.setdefault(decision.submission_id, []).append(decision)
    return found


def decisions_for(evidence: Evidence) -> dict[int, Decision]:
    return decisions_for_items([evidence])


def decisions_for_items(items: Sequence[Evidence]) -> dict[int, Decision]:
    """The decision standing on each of these items' submissions (none an IQA reopened), by
    submission id, in one query (and one more for their point decisions)."""
    ids = [s.id for item in items for s in item.submissions]
    rows = db.session.scalars(
        select(Decision)
        .where(Decision.submission_id.in_(ids), Decision.superseded_at.is_(None))
        .options(selectinload(Decision.points))
    )
    return {d.submission_id: d for d in rows}


def assessable_submission(assessor: User, submission_id: int) -> Submission | None:
    """A submission is visible for marking only to the learner's own assessor."""
    submission = evidence_services.get_submission(submission_id)
    if submission is None or submission.evidence.learner.assessor_id != assessor.id:
        return None
    return submission


def refuse_outside_caseload(assessor: User, submission_id: int) -> DecisionRefused:
    """A decision posted on a submission that is not the assessor's to decide (or that does
    not exist): refused and logged like any other."""
    submission = evidence_services.get_submission(submission_id)
    return refuse(
        assessor,
        submission_id,
        Refusal.CASELOAD,
        "This submission is not in your caseload.",
        learner_id=submission.evidence.learner_id if submission is not None else None,
    )


def record_decision(
    assessor: User,
    submission: Submission,
    marks: Mapping[str, PointMark],
    outcome: Outcome,
    feedback: str,
    *,
    seen_version: int | None = None,
) -> Decision:
    """Record an assessor's decision on the latest submission of an item in their caseload,
    with its audit entry, in one transaction. `seen_version` is the item's version on the page
    the assessor marked: if the item has changed since, the decision is refused.

    Any refusal is written to the audit trail (and the log) on its own, after everything else
    is rolled back; a refusal because a decision was recorded first carries that decision."""
    evidence = submission.evidence
    learner_id = evidence.learner_id

    def refused(reason: Refusal, message: str, existing: Decision | None = None) -> DecisionRefused:
        return refuse(
            assessor, submission.id, reason, message, learner_id=learner_id, existing=existing
        )

    if evidence.learner.assessor_id != assessor.id:
        raise refused(Refusal.CASELOAD, "This learner is not in your caseload.")
    existing = decision_for(submission)
    if existing is not None:
        raise refused(Refusal.DECIDED, "This submission has already been decided.", existing)
    if evidence.latest is not submission:
        raise refused(Refusal.NOT_LATEST, "The learner has sent a newer attempt: decide that.")
    if evidence.status is not EvidenceStatus.SUBMITTED:
        raise refused(Refusal.NOT_SUBMITTED, "This submission has already been decided.")
    if seen_version is not None and seen_version != evidence.version:
        raise refused(
            Refusal.STALE, "This item has changed since you opened it: check it and decide again."
        )
    live = [p.id for p in qualifications.live_marking_points(evidence.element_id)]
    feedback = feedback.strip()
    problem = marking.marking_problem(
        live, [p.id for p in submission.claims], marks, outcome, feedback
    )
    if problem is not None:
        raise refused(Refusal.INVALID, problem)
    decision = Decision(
        submission_id=submission.id,
        assessor_id=assessor.id,
        outcome=outcome,
        feedback=feedback,
        needs_countersignature=marking.needs_countersignature(assessor),
        points=[
            PointDecision(marking_point_id=mp, status=m.status, comment=m.comment.strip())
            for mp, m in sorted(marks.items())
        ],
    )
    db.session.add(decision)
    status = EvidenceStatus.ACCEPTED if outcome is Outcome.ACCEPTED else EvidenceStatus.REFERRED
    evidence_services.mark_decided(submission, status)
    try:
        # The unique index on live decisions and the item's version both stop a second
        # decision made at the same moment (a double click, two tabs): it fails here.
        db.session.flush()
        progress.refresh_progress(learner_id, evidence.element_id)
        comment_bank.add_to_bank(assessor, marks)
        audit.record(
            "decision.recorded",
            "decision",
            decision.id,
            actor_id=assessor.id,
            learner_id=learner_id,
            before={"submission": submission.id, "evidence_status": "submitted"},
            after={
                "submission": submission.id,
                "attempt": submission.number,
                "outcome": outcome.value,
                "feedback": feedback,
                "points": marking.point_record(marks),
                "needs_countersignature": decision.needs_countersignature,
                "evidence_status": status.value,
            },
        )
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise refused(
            Refusal.DECIDED, "This submission has already been decided.", decision_for(submission)
        ) from None
    return decision


def reopen_decision(decision: Decision, by: User | None = None) -> None:
    """Supersede a live decision and put its submission back in the assessor's queue, as an
    internal quality assurer's disagreement does. The decision is kept, as history; the caller
    writes the audit entry and commits."""
    submission = decision.submission
    if submission.evidence.latest is not submission:
        # The learner has already acted on it and sent a new attempt: that attempt's decision
        # is the one to question now.
        raise DecisionRefused("The learner has sent a new attempt since this decision.")
    # Conditional, so two reviewers reopening the same decision at once cannot both succeed.
    reopened = db.session.execute(
        update(Decision)
        .where(Decision.id == decision.id, Decision.superseded_at.is_(None))
        .values(superseded_at=utcnow())
    )
    if reopened.rowcount != 1:  # type: ignore[attr-defined]
        raise DecisionRefused("This decision has already been reopened.")
    evidence_services.mark_decided(submission, EvidenceStatus.SUBMITTED)
    progress.refresh_progress(submission.evidence.learner_id, submission.evidence.element_id)
    signoff.withdraw_sign_offs_resting_on(decision, by.id if by else None)
