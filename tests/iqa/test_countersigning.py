"""Countersigning a trainee assessor's decisions: listed for IQAs (never the trainee's own),
countersigned once, race-safe, audited, and the sample still shows it as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from portfolio.assessment.models import AssessorStatus, Decision
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.iqa import countersigning, services
from portfolio.iqa.models import Sample, SampleItem
from tests.factories import Factory
from tests.iqa.support import decided


@pytest.fixture
def iqa(ctx: None, make: Factory) -> User:
    return make.user(Role.IQA, name="Ian Quality")


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


@pytest.fixture
def learner(make: Factory, assessor: User) -> User:
    return make.learner(assessor=assessor, name="Lily Learner")


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _take_all(iqa: User) -> Sample:
    period = services.default_period()
    return services.take_sample(iqa, period, services.propose_sample(iqa, period).decision_ids)


@pytest.fixture
def trainee(iqa: User, make: Factory) -> User:
    person = make.user(Role.ASSESSOR, name="Tom Trainee")
    services.change_plan(person, AssessorStatus.TRAINEE, 100, iqa)
    return person


def test_a_trainees_decision_awaits_countersignature(
    iqa: User, trainee: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, trainee, make.learner(assessor=trainee))
    decided(make, assessor, learner)  # a qualified assessor's: nothing to countersign
    assert decision.needs_countersignature
    assert [d.id for d in countersigning.awaiting_countersignature(iqa)] == [decision.id]
    sampled = next(i for i in _take_all(iqa).items if i.decision_id == decision.id)
    assert sampled.frozen.needs_countersignature and sampled.frozen.countersigned_at is None
    assert countersigning.awaiting_countersignature(trainee) == []  # never their own

    countersigning.countersign(decision, iqa)
    db.session.expire_all()
    signed = db.session.get(Decision, decision.id)
    assert signed is not None and signed.countersigned_by_id == iqa.id
    assert signed.countersigned_at is not None
    assert countersigning.awaiting_countersignature(iqa) == []
    (entry,) = _audit("decision.countersigned")
    assert entry.actor_id == iqa.id and entry.subject_id == str(decision.id)
    assert entry.after is not None and entry.after["assessor"] == trainee.id

    with pytest.raises(countersigning.Refused, match="already been countersigned"):
        countersigning.countersign(signed, make.user(Role.IQA))
    # The sample still shows the decision as it was when sampled.
    frozen = db.session.get(SampleItem, sampled.id).frozen  # type: ignore[union-attr]
    assert frozen.countersigned_at is None


def test_countersigning_refuses_self_unneeded_and_reopened(
    iqa: User, trainee: User, assessor: User, learner: User, make: Factory
) -> None:
    own = decided(make, trainee, make.learner(assessor=trainee))
    with pytest.raises(countersigning.Refused, match="your own"):
        countersigning.countersign(own, db.session.get(User, trainee.id))  # type: ignore[arg-type]
    qualified = decided(make, assessor, learner)
    with pytest.raises(countersigning.Refused, match="does not need"):
        countersigning.countersign(qualified, iqa)
    own.superseded_at = utcnow()
    db.session.commit()
    with pytest.raises(countersigning.Refused, match="reopened"):
        countersigning.countersign(own, iqa)
    assert _audit("decision.countersigned") == []


def test_two_countersignatures_at_once_record_one(iqa: User, trainee: User, make: Factory) -> None:
    other = make.user(Role.IQA)
    decision = decided(make, trainee, make.learner(assessor=trainee))
    db.session.refresh(decision)
    # The other IQA's countersignature lands after this one loaded the decision.
    db.session.execute(
        update(Decision)
        .values(countersigned_by_id=other.id, countersigned_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert decision.countersigned_at is None
    with pytest.raises(countersigning.Refused, match="already been countersigned"):
        countersigning.countersign(decision, iqa)
    assert _audit("decision.countersigned") == []
