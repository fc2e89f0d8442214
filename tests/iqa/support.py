"""Decisions made through the assessment service, for the IQA tests to sample."""

from __future__ import annotations

from datetime import timedelta

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Decision, Outcome, PointStatus
from portfolio.assessment.services import PointMark
from portfolio.auth.models import User
from portfolio.evidence.models import Submission
from portfolio.extensions import db
from tests.factories import Factory

MET = PointMark(PointStatus.MET, "The call log shows this clearly.")
NOT_YET = PointMark(PointStatus.NOT_YET_MET, "Show the return authorisation number you issued.")
REFERRAL = "Add the RA number and say which policy you applied to the refund."


def decide(
    assessor: User,
    submission: Submission,
    outcome: Outcome = Outcome.ACCEPTED,
) -> Decision:
    """Decide a factory submission (claims pts-a.1 and pts-a.4) as its assessor would."""
    assessor = db.session.get(User, assessor.id) or assessor
    submission = db.session.get(Submission, submission.id) or submission
    referred = outcome is Outcome.REFERRED
    return assessment.record_decision(
        assessor,
        submission,
        {"pts-a.1": MET, "pts-a.4": NOT_YET if referred else MET},
        outcome,
        REFERRAL if referred else "",
    )


def decided(
    make: Factory,
    assessor: User,
    learner: User,
    outcome: Outcome = Outcome.ACCEPTED,
    *,
    days_ago: int = 0,
    **evidence: object,
) -> Decision:
    """A new submission by `learner`, decided by `assessor`, `days_ago` days back."""
    decision = decide(assessor, make.submission(learner, **evidence), outcome)  # type: ignore[arg-type]
    if days_ago:
        decision.decided_at -= timedelta(days=days_ago)
        db.session.commit()
    return decision
