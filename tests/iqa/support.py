"""Decisions made through the assessment service, for the IQA tests to sample."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from portfolio.assessment import services as assessment
from portfolio.assessment.models import Decision, Outcome, PointStatus
from portfolio.assessment.services import PointMark
from portfolio.auth.models import User
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.evidence.services import evidence_types
from portfolio.extensions import db
from portfolio.qualifications.models import Element
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


def many_decisions(
    app: Flask,
    assessors: Sequence[User],
    learners: Sequence[User],
    count: int,
    *,
    trainees: Collection[int] = (),
    seed: int = 0,
) -> list[int]:
    """`count` decided submissions, written as rows (what the evidence and assessment services
    would write for a submission and its decision, without the marks): enough for the size
    tests without deciding hundreds of submissions one by one. Spread over learners, evidence
    types, elements and outcomes, the newest an hour ago, one an hour apart."""
    rng = random.Random(seed)
    with app.app_context():
        types = sorted(evidence_types())
        elements = sorted(db.session.scalars(select(Element.id)))
        now = utcnow()
        decisions = []
        for n in range(count):
            learner, assessor = learners[n % len(learners)], assessors[n % len(assessors)]
            accepted = rng.random() < 0.7
            title = f"Evidence {n + 1}"
            item = Evidence(
                learner_id=learner.id,
                element_id=rng.choice(elements),
                type_id=rng.choice(types),
                type_version=1,
                title=title,
                status=EvidenceStatus.ACCEPTED if accepted else EvidenceStatus.REFERRED,
            )
            sent = Submission(
                evidence=item,
                number=1,
                title=title,
                content={},
                type_version=1,
                rubric_version=1,
                declared_name=learner.name,
                content_hash="0" * 64,
                submitted_at=now - timedelta(hours=n + 2),
            )
            decisions.append(
                Decision(
                    submission=sent,
                    assessor_id=assessor.id,
                    outcome=Outcome.ACCEPTED if accepted else Outcome.REFERRED,
                    feedback="" if accepted else REFERRAL,
                    decided_at=now - timedelta(hours=n + 1),
                    needs_countersignature=assessor.id in trainees,
                )
            )
        db.session.add_all(decisions)
        db.session.commit()
        return [d.id for d in decisions]
