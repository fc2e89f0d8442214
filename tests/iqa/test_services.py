"""IQA services: sampling plans, taking a sample (frozen), verdicts, resolution and
countersigning, each with its audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portfolio.assessment import services as assessment
from portfolio.assessment.models import AssessorStatus, Decision, Outcome
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry
from portfolio.db import utcnow
from portfolio.evidence import services as evidence
from portfolio.evidence.models import EvidenceStatus, Submission
from portfolio.extensions import db
from portfolio.iqa import services
from portfolio.iqa.models import Sample, SampleItem, Verdict
from portfolio.iqa.sampling import Plan
from tests.factories import ACCOUNT, Factory
from tests.iqa.support import decide, decided

WHY = "The RA number is missing: check pts-a.4 against the call log before accepting."


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


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _period() -> services.Period:
    return services.default_period()


def _take_all(iqa: User) -> Sample:
    proposal = services.propose_sample(iqa, _period())
    return services.take_sample(iqa, _period(), proposal.decision_ids)


# Sampling plans


def test_assessors_start_on_the_default_plan(iqa: User, assessor: User, make: Factory) -> None:
    both = make.user(Role.ASSESSOR, Role.IQA, name="Bea Both")
    rows = services.plan_rows().items
    assert [(r.assessor.name, r.plan, r.changed_at) for r in rows] == [
        ("Alan Assessor", Plan(AssessorStatus.QUALIFIED, 10), None),
        ("Bea Both", Plan(AssessorStatus.QUALIFIED, 10), None),
    ]
    assert services.get_assessor(both.id) is not None
    assert services.get_assessor(iqa.id) is None  # not an assessor


def test_changing_a_plan_is_saved_and_audited(iqa: User, assessor: User) -> None:
    assert services.change_plan(assessor, AssessorStatus.NEW, 50, iqa)
    assert services.plan_for(assessor) == Plan(AssessorStatus.NEW, 50)
    (entry,) = _audit("sampling_plan.changed")
    assert entry.actor_id == iqa.id and entry.subject_id == str(assessor.id)
    assert entry.before == {"status": "qualified", "percentage": 10}
    assert entry.after == {"status": "new", "percentage": 50}
    # The same plan again changes nothing and writes nothing.
    assert not services.change_plan(assessor, AssessorStatus.NEW, 50, iqa)
    assert services.change_plan(assessor, AssessorStatus.QUALIFIED, 15, iqa)
    assert [e.after for e in _audit("sampling_plan.changed")][-1] == {
        "status": "qualified",
        "percentage": 15,
    }


@pytest.mark.parametrize(
    ("status", "percentage", "message"),
    [
        (AssessorStatus.QUALIFIED, 101, "between 0 and 100"),
        (AssessorStatus.NEW, -1, "between 0 and 100"),
        (AssessorStatus.TRAINEE, 50, "percentage is 100"),
    ],
)
def test_impossible_plans_are_refused(
    iqa: User, assessor: User, status: AssessorStatus, percentage: int, message: str
) -> None:
    with pytest.raises(services.Refused, match=message):
        services.change_plan(assessor, status, percentage, iqa)
    assert _audit("sampling_plan.changed") == []


# Proposing and taking a sample


def test_the_default_period_runs_from_the_last_sample_or_90_days(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    today = utcnow().date()
    assert services.default_period() == services.Period(today - timedelta(days=90), today)
    decided(make, assessor, learner)
    sample = _take_all(iqa)
    sample.created_at -= timedelta(days=3)
    db.session.commit()
    assert services.default_period().since == today - timedelta(days=3)


def test_the_proposal_holds_live_unsampled_decisions_in_the_period_not_the_iqas_own(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    both = make.user(Role.ASSESSOR, Role.IQA, name="Bea Both")
    bea_learner = make.learner(assessor=both, name="Ben Learner")
    services.change_plan(assessor, AssessorStatus.QUALIFIED, 100, iqa)
    services.change_plan(both, AssessorStatus.QUALIFIED, 100, iqa)
    recent = decided(make, assessor, learner)
    old = decided(make, assessor, learner, days_ago=200)
    beas = decided(make, both, bea_learner)

    mine = services.propose_sample(both, _period())
    assert mine.decision_ids == {recent.id}  # not her own, not the old one
    assert mine.own_left_out == 1
    theirs = services.propose_sample(iqa, _period())
    assert theirs.decision_ids == {recent.id, beas.id}
    wide = services.Period(utcnow().date() - timedelta(days=365), utcnow().date())
    assert services.propose_sample(iqa, wide).decision_ids == {recent.id, beas.id, old.id}

    services.take_sample(iqa, _period(), {recent.id})
    assert services.propose_sample(iqa, wide).decision_ids == {beas.id, old.id}


def test_taking_a_sample_freezes_each_decision(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, assessor, learner, Outcome.REFERRED, title="Kettle refund")
    period = _period()
    sample = _take_all(iqa)
    (item,) = sample.items
    assert item.decision_id == decision.id
    assert item.reason.startswith("First decision sampled for Lily Learner")
    assert sample.parameters["period"] == period.as_dict()

    # The live records change after sampling: the learner's name, the assessor's, the decision.
    db.session.get(User, learner.id).name = "Lily Renamed"  # type: ignore[union-attr]
    db.session.get(User, assessor.id).name = "Alan Renamed"  # type: ignore[union-attr]
    db.session.execute(update(Decision).values(feedback="Changed behind the sample's back."))
    db.session.commit()
    db.session.expire_all()

    frozen = db.session.get(SampleItem, item.id).frozen  # type: ignore[union-attr]
    assert frozen.learner_name == "Lily Learner"
    assert frozen.assessor_name == "Alan Assessor"
    assert frozen.title == "Kettle refund"
    assert frozen.outcome is Outcome.REFERRED
    assert frozen.feedback.startswith("Add the RA number")
    assert frozen.content["situation"] == ACCOUNT["situation"]
    assert [c[0] for c in frozen.claims] == ["pts-a.1", "pts-a.4"]
    assert [(p.id, p.status.value) for p in frozen.points] == [
        ("pts-a.1", "met"),
        ("pts-a.4", "not_yet_met"),
    ]
    assert frozen.type_title == "Reflective account"

    (entry,) = _audit("sample.taken")
    assert entry.actor_id == iqa.id and entry.subject_id == str(sample.id)
    assert entry.after is not None and entry.after["decisions"] == [decision.id]


def test_an_unticked_decision_is_left_out(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    services.change_plan(assessor, AssessorStatus.QUALIFIED, 100, iqa)
    first = decided(make, assessor, learner)
    decided(make, assessor, learner, Outcome.REFERRED)
    sample = services.take_sample(iqa, _period(), {first.id})
    assert [i.decision_id for i in sample.items] == [first.id]


def test_a_sample_cannot_hold_own_unproposed_or_no_decisions(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    both = make.user(Role.ASSESSOR, Role.IQA, name="Bea Both")
    own = decided(make, both, make.learner(assessor=both))
    other = decided(make, assessor, learner)
    not_proposed = decided(make, assessor, learner)  # 10% of 2 proposes only the oldest
    assert services.propose_sample(both, _period()).decision_ids == {other.id}

    with pytest.raises(services.Refused, match="your own assessment"):
        services.take_sample(both, _period(), {other.id, own.id})
    with pytest.raises(services.Refused, match="proposal has changed"):
        services.take_sample(both, _period(), {other.id, not_proposed.id})
    with pytest.raises(services.Refused, match="proposal has changed"):
        services.take_sample(both, _period(), {999_999})
    with pytest.raises(services.Refused, match="at least one"):
        services.take_sample(both, _period(), set())
    assert _count(Sample) == 0 and _audit("sample.taken") == []


def test_a_decision_already_sampled_cannot_be_taken_again(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, assessor, learner)
    services.take_sample(iqa, _period(), {decision.id})
    with pytest.raises(services.Refused, match="proposal has changed"):
        services.take_sample(iqa, _period(), {decision.id})
    assert _count(Sample) == 1


# Verdicts


def test_agreeing_records_the_verdict_and_leaves_the_decision(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, assessor, learner)
    (item,) = _take_all(iqa).items
    services.review_item(item, iqa, Verdict.AGREE, "  Clear marking against both points. ")
    db.session.expire_all()
    item = db.session.get(SampleItem, item.id)  # type: ignore[assignment]
    assert item.verdict is Verdict.AGREE and item.reviewed_at is not None
    assert item.feedback == "Clear marking against both points."
    assert item.state == "Agreed"
    assert db.session.get(Decision, decision.id).superseded_at is None  # type: ignore[union-attr]
    (entry,) = _audit("iqa.agreed")
    assert entry.learner_id == learner.id and entry.actor_id == iqa.id
    assert entry.after is not None and entry.after["verdict"] == "agree"
    with pytest.raises(services.Refused, match="already been reviewed"):
        services.review_item(item, iqa, Verdict.DISAGREE, WHY)


def test_disagreeing_reopens_the_decision_for_its_assessor(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, assessor, learner)
    submission_id = decision.submission_id
    (item,) = _take_all(iqa).items
    with pytest.raises(services.Refused, match="look at again"):
        services.review_item(item, iqa, Verdict.DISAGREE, "   ")
    assert db.session.get(SampleItem, item.id).verdict is None  # type: ignore[union-attr]

    services.review_item(item, iqa, Verdict.DISAGREE, WHY)
    db.session.expire_all()
    old = db.session.get(Decision, decision.id)
    assert old is not None and old.superseded_at is not None  # kept, as history
    submission = db.session.get(Submission, submission_id)
    assert submission is not None and submission.evidence.status is EvidenceStatus.SUBMITTED
    assert [s.id for s in assessment.queue(assessor)] == [submission_id]
    assert assessment.decision_for(submission) is None
    item = db.session.get(SampleItem, item.id)  # type: ignore[assignment]
    assert item.state == "Disagreed; back with the assessor"
    assert [i.id for i in services.reopened_feedback(submission_id)] == [item.id]
    (entry,) = _audit("iqa.disagreed")
    assert entry.learner_id == learner.id
    assert entry.after == {
        "verdict": "disagree",
        "feedback": WHY,
        "decision": decision.id,
        "reopened": True,
    }


def test_the_assessors_new_decision_resolves_the_disagreement(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, assessor, learner)
    sample = _take_all(iqa)
    (item,) = sample.items
    services.review_item(item, iqa, Verdict.DISAGREE, WHY)
    assert services.answers(sample) == {}
    assert services.answer_to(item) is None

    answer = decide(assessor, decision.submission, Outcome.REFERRED)
    found = services.answers(sample)
    assert {k: v.id for k, v in found.items()} == {item.id: answer.id}
    db.session.expire_all()
    item = db.session.get(SampleItem, item.id)  # type: ignore[assignment]
    assert item.resolved_at == answer.decided_at
    assert item.state == "Disagreed; the assessor has decided again"
    assert [e.subject_id for e in _audit("decision.recorded")][-1] == str(answer.id)
    # The new decision is live, so a later sample may take it; the old one never again.
    later = services.propose_sample(iqa, _period())
    assert later.decision_ids == {answer.id}


def test_a_decision_the_learner_has_moved_on_from_cannot_be_reopened(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decision = decided(make, assessor, learner, Outcome.REFERRED)
    (item,) = _take_all(iqa).items
    item_evidence = decision.submission.evidence
    evidence.save_draft(
        item_evidence,
        title="Kettle refund",
        sections=ACCOUNT,
        claims=("pts-a.1", "pts-a.4"),
        expected_version=item_evidence.version,
    )
    evidence.submit_evidence(item_evidence, db.session.get(User, learner.id), "Lily Learner")  # type: ignore[arg-type]
    with pytest.raises(services.Refused, match="new attempt"):
        services.review_item(item, iqa, Verdict.DISAGREE, WHY)
    db.session.expire_all()
    assert db.session.get(SampleItem, item.id).verdict is None  # type: ignore[union-attr]
    assert db.session.get(Decision, decision.id).superseded_at is None  # type: ignore[union-attr]
    assert _audit("iqa.disagreed") == []


def test_only_the_samples_iqa_reviews_and_never_their_own_decision(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decided(make, assessor, learner)
    (item,) = _take_all(iqa).items
    other = make.user(Role.IQA, name="Olga Other")
    with pytest.raises(services.Refused, match="Only Ian Quality, who took this sample"):
        services.review_item(item, db.session.get(User, other.id), Verdict.AGREE, "")  # type: ignore[arg-type]
    # A sample can only hold an IQA's own decision if it was made by hand: still refused.
    both = db.session.get(User, make.user(Role.ASSESSOR, Role.IQA).id)
    assert both is not None
    own = decided(make, both, make.learner(assessor=both))
    sample = Sample(iqa_id=both.id, items=[SampleItem(decision_id=own.id, reason="x", snapshot={})])
    db.session.add(sample)
    db.session.commit()
    with pytest.raises(services.Refused, match="your own"):
        services.review_item(sample.items[0], both, Verdict.AGREE, "")
    assert _audit("iqa.agreed") == []


def test_a_second_verdict_at_the_same_moment_is_refused(
    iqa: User, assessor: User, learner: User, make: Factory
) -> None:
    decided(make, assessor, learner)
    (item,) = _take_all(iqa).items
    # Another IQA's verdict lands after this page loaded the item.
    db.session.execute(
        update(SampleItem)
        .values(verdict=Verdict.AGREE, reviewed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    assert item.verdict is None
    with pytest.raises(services.Refused, match="already been reviewed"):
        services.review_item(item, iqa, Verdict.DISAGREE, WHY)
    assert _audit("iqa.disagreed") == []
