"""Decisions written straight to the database for the tracking and sign-off tests.

Tracking reads whatever decisions stand, including states only other features make (a
trainee's decision awaiting countersignature, one an IQA reopened); record_decision's own
marking rules are tested in test_services.py. Call inside an app context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from portfolio.assessment import progress
from portfolio.assessment.models import Decision, Outcome, PointDecision, PointStatus
from portfolio.auth.models import User
from portfolio.db import utcnow
from portfolio.evidence import services as evidence
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from tests.factories import ACCOUNT

MET, NOT_YET, NA = PointStatus.MET, PointStatus.NOT_YET_MET, PointStatus.NOT_APPLICABLE


def decide(
    submission_id: int,
    marks: Mapping[str, PointStatus],
    *,
    assessor: User,
    needs_countersignature: bool = False,
    countersigned: bool = False,
    superseded: bool = False,
) -> int:
    """A decision on a submission: accepted when nothing is marked not yet met. Returns its id."""
    submission = db.session.get(Submission, submission_id)
    assert submission is not None
    accepted = PointStatus.NOT_YET_MET not in marks.values()
    decision = Decision(
        submission_id=submission.id,
        assessor_id=assessor.id,
        outcome=Outcome.ACCEPTED if accepted else Outcome.REFERRED,
        feedback="" if accepted else "Add the completed returns form.",
        needs_countersignature=needs_countersignature,
        countersigned_by_id=assessor.id if countersigned else None,
        countersigned_at=utcnow() if countersigned else None,
        superseded_at=utcnow() if superseded else None,
        points=[PointDecision(marking_point_id=p, status=s) for p, s in sorted(marks.items())],
    )
    db.session.add(decision)
    if not superseded:
        evidence.mark_decided(
            submission, EvidenceStatus.ACCEPTED if accepted else EvidenceStatus.REFERRED
        )
    _refresh(submission)
    db.session.commit()
    return decision.id


def _refresh(submission: Submission) -> None:
    """As the services do in the same transaction: the learner's kept met points."""
    db.session.flush()
    item = submission.evidence
    progress.refresh_progress(item.learner_id, item.element_id)


def supersede(decision_id: int) -> None:
    """As an IQA's disagreement does: the decision stays as history, the item awaits a new one."""
    decision = db.session.get(Decision, decision_id)
    assert decision is not None
    decision.superseded_at = utcnow()
    decision.submission.evidence.status = EvidenceStatus.SUBMITTED
    decision.submission.evidence.awaiting_since = decision.superseded_at
    _refresh(decision.submission)
    db.session.commit()


def countersign(decision_id: int, by: User) -> None:
    decision = db.session.get(Decision, decision_id)
    assert decision is not None
    decision.countersigned_by_id = by.id
    decision.countersigned_at = utcnow()
    _refresh(decision.submission)
    db.session.commit()


def resubmit(evidence_id: int, claims: Sequence[str]) -> Submission:
    """The learner revises a referred item and sends it again."""
    item = db.session.get(Evidence, evidence_id)
    assert item is not None
    evidence.save_draft(
        item, title=item.title, sections=ACCOUNT, claims=claims, expected_version=item.version
    )
    return evidence.submit_evidence(item, item.learner, item.learner.name)


def backdate(submission_id: int, moment: datetime, *, clock: datetime | None = None) -> None:
    """As if the submission had been made at `moment`: its date, and the item's turnaround
    clock (from `clock`, when it was reopened since, else from the submission) if it waits."""
    submission = db.session.get(Submission, submission_id)
    assert submission is not None
    submission.submitted_at = moment
    if submission.evidence.status is EvidenceStatus.SUBMITTED:
        submission.evidence.awaiting_since = clock or moment
    db.session.commit()
