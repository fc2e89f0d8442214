"""The caseload against the turnaround clock: each assessor's queue with due dates, their
learners counted, what a learner can expect, and what is overdue for the IQAs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import current_app

from portfolio.assessment import caseload
from portfolio.assessment import services as assessment
from portfolio.assessment.models import Outcome
from portfolio.assessment.turnaround import ClockState
from portfolio.auth.models import Role, User
from portfolio.evidence.models import Evidence, Submission
from portfolio.extensions import db
from tests.assessment.support import backdate
from tests.factories import Factory
from tests.iqa.support import decide

TODAY = date(2026, 3, 12)  # a Thursday


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


@pytest.fixture
def learner(make: Factory, assessor: User) -> User:
    return make.learner(assessor=assessor, name="Lily Learner")


def submitted(make: Factory, learner: User, on: datetime, **kwargs: object) -> Submission:
    """A submission made at `on` (UTC)."""
    submission = make.submission(learner, **kwargs)
    backdate(submission.id, on)
    found = db.session.get(Submission, submission.id)
    assert found is not None
    return found


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_the_queue_carries_each_items_clock_in_due_order(
    assessor: User, learner: User, make: Factory
) -> None:
    newest = submitted(make, learner, at(date(2026, 3, 11)), title="Newest")
    oldest = submitted(make, learner, at(date(2026, 3, 2)), title="Oldest")
    middle = submitted(make, learner, at(date(2026, 3, 4)), title="Middle")
    not_mine = make.learner(assessor=make.user(Role.ASSESSOR))
    submitted(make, not_mine, at(date(2026, 3, 1)), title="Someone else's")

    items = assessment.queue_items(assessor, TODAY)
    assert [i.submission.title for i in items] == ["Oldest", "Middle", "Newest"]
    clocks = {i.submission.id: i.clock for i in items}
    assert (clocks[oldest.id].due, clocks[oldest.id].state, clocks[oldest.id].words) == (
        date(2026, 3, 11),
        ClockState.OVERDUE,
        "overdue by 1 working day",
    )
    assert (clocks[middle.id].due, clocks[middle.id].state, clocks[middle.id].words) == (
        date(2026, 3, 13),
        ClockState.DUE_SOON,
        "due in 1 working day",
    )
    assert (clocks[newest.id].due, clocks[newest.id].state, clocks[newest.id].words) == (
        date(2026, 3, 20),
        ClockState.ON_TIME,
        "due in 6 working days",
    )
    # The plain queue (the home page's count) holds the same submissions.
    assert {s.id for s in assessment.queue(assessor)} == set(clocks)


def test_working_days_are_london_days(assessor: User, learner: User, make: Factory) -> None:
    # 23:30 UTC on Monday 1 June 2026 is 00:30 on Tuesday 2 June in London (summer time).
    late_night = submitted(make, learner, at(date(2026, 6, 1), 23, 30))
    (item,) = assessment.queue_items(assessor, date(2026, 6, 2))
    assert item.submission.id == late_night.id
    assert item.clock.due == date(2026, 6, 11)  # 7 working days from the Tuesday


def test_the_number_of_days_comes_from_the_configuration(
    assessor: User, learner: User, make: Factory
) -> None:
    submitted(make, learner, at(date(2026, 3, 2)))
    current_app.config["TURNAROUND_DAYS"] = 3
    (item,) = assessment.queue_items(assessor, TODAY)
    assert item.clock.due == date(2026, 3, 5)
    assert item.clock.words == "overdue by 5 working days"


def test_a_reopened_item_is_back_in_the_queue_with_a_fresh_clock(
    assessor: User, learner: User, make: Factory
) -> None:
    submission = submitted(make, learner, at(date(2026, 3, 2)))
    decision = decide(assessor, submission, Outcome.ACCEPTED)
    assert assessment.queue_items(assessor, TODAY) == []

    assessment.reopen_decision(decision)
    db.session.commit()
    decision.superseded_at = at(date(2026, 3, 10))  # reopened by the IQA on that day
    backdate(submission.id, at(date(2026, 3, 2)), clock=decision.superseded_at)
    (item,) = assessment.queue_items(assessor, TODAY)
    assert item.submission.id == submission.id
    assert item.reopened is not None and item.reopened.id == decision.id
    assert item.clock.due == date(2026, 3, 19)  # 7 working days from the reopening
    assert item.clock.state is ClockState.ON_TIME
    # The reopened decision no longer stands anywhere.
    assert assessment.decision_for(submission) is None
    evidence = db.session.get(Evidence, submission.evidence_id)
    assert evidence is not None
    assert assessment.decisions_for(evidence) == {}
    assert [d.id for d in assessment.superseded_decisions(evidence)[submission.id]] == [decision.id]
    assert assessment.expected_decision(evidence) == date(2026, 3, 19)


def test_the_iqa_sees_every_overdue_item_latest_first(
    assessor: User, learner: User, make: Factory
) -> None:
    other_assessor = make.user(Role.ASSESSOR, name="Olga Other")
    other_learner = make.learner(assessor=other_assessor, name="Omar Other")
    unassigned = make.learner(name="Una Unassigned")
    submitted(make, learner, at(date(2026, 3, 2)), title="One day late")
    submitted(make, other_learner, at(date(2026, 2, 23)), title="Six days late")
    submitted(make, unassigned, at(date(2026, 2, 27)), title="Nobody's")  # due 10 March
    submitted(make, learner, at(date(2026, 3, 10)), title="On time")
    decided_late = submitted(make, learner, at(date(2026, 2, 2)), title="Decided")
    decide(assessor, decided_late)

    overdue = assessment.overdue_decisions(TODAY)
    assert [(i.submission.title, i.clock.days) for i in overdue] == [
        ("Six days late", 6),
        ("Nobody's", 2),
        ("One day late", 1),
    ]
    assert [i.learner.assessor.name if i.learner.assessor else None for i in overdue] == [
        "Olga Other",
        None,
        "Alan Assessor",
    ]
    assert assessment.overdue_decisions(date(2026, 3, 2)) == []


def test_a_learner_expects_a_decision_only_while_one_is_awaited(
    assessor: User, learner: User, make: Factory
) -> None:
    draft = make.evidence(learner, title="Draft")
    submission = submitted(make, learner, at(date(2026, 4, 2)))  # the Thursday before Easter
    evidence = db.session.get(Evidence, submission.evidence_id)
    assert evidence is not None
    assert assessment.expected_decision(evidence) == date(2026, 4, 15)
    assert assessment.expected_decision(db.session.get(Evidence, draft.id)) is None  # type: ignore[arg-type]
    decide(assessor, submission)
    db.session.expire_all()
    evidence = db.session.get(Evidence, submission.evidence_id)
    assert evidence is not None and assessment.expected_decision(evidence) is None


def test_the_caseload_counts_each_learners_work(
    assessor: User, learner: User, make: Factory
) -> None:
    second = make.learner(assessor=assessor, name="Ben Learner")
    submitted(make, learner, at(date(2026, 3, 2)))  # overdue
    submitted(make, learner, at(date(2026, 3, 11)))  # on time
    decide(assessor, submitted(make, learner, at(date(2026, 3, 2))), Outcome.REFERRED)
    decide(assessor, submitted(make, second, at(date(2026, 3, 2))), Outcome.ACCEPTED)
    make.evidence(second, title="Draft")

    items = caseload.queue_items(assessor, TODAY)
    loads = {
        load.learner.name: (load.waiting, load.overdue, load.referred, load.accepted)
        for load in assessment.caseload_summary(assessor, items)
    }
    assert loads == {"Ben Learner": (0, 0, 0, 1), "Lily Learner": (2, 1, 1, 0)}
    assert list(loads) == ["Ben Learner", "Lily Learner"]  # by name
