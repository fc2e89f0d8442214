"""The plans page's counts: each assessor's decisions of the last 90 days and the sample items
on them, the sampled ones counted from the samples taken in those 90 days (a sample holds only
decisions made before it was taken), read through indexes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.iqa import services
from portfolio.iqa.models import Sample, SampleItem
from tests.factories import Factory
from tests.iqa.support import decided
from tests.support.queries import full_scans


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


def _sample(iqa: User, decision_ids: list[int], days_ago: int) -> None:
    db.session.add(
        Sample(
            iqa_id=iqa.id,
            created_at=utcnow() - timedelta(days=days_ago),
            items=[SampleItem(decision_id=d, reason="x", snapshot={}) for d in decision_ids],
        )
    )
    db.session.commit()


def test_the_plans_count_the_samples_of_the_period(assessor: User, make: Factory) -> None:
    iqa = make.user(Role.IQA, name="Ian Quality")
    other = make.user(Role.ASSESSOR, name="Olga Other")
    learner = make.learner(assessor=assessor)
    old = decided(make, assessor, learner, days_ago=200)
    recent = [decided(make, assessor, learner, days_ago=d) for d in (80, 10, 1)]
    theirs = decided(make, other, make.learner(assessor=other), days_ago=5)
    _sample(iqa, [old.id], days_ago=150)  # before the period: not counted
    _sample(iqa, [old.id, recent[0].id], days_ago=60)  # the old decision is outside the period
    _sample(iqa, [recent[0].id, recent[1].id, theirs.id], days_ago=2)  # sampled twice: twice

    rows = {r.assessor.name: (r.decisions, r.sampled) for r in services.plan_rows().items}
    assert rows == {"Alan Assessor": (3, 3), "Olga Other": (1, 1)}


def test_an_assessor_with_nothing_decided_counts_nothing(assessor: User) -> None:
    (row,) = services.plan_rows().items
    assert (row.assessor.name, row.decisions, row.sampled, row.changed_at) == (
        "Alan Assessor",
        0,
        0,
        None,
    )


def test_the_counts_read_through_indexes(assessor: User) -> None:
    since = datetime.combine(date.today() - timedelta(days=90), time(), UTC)
    query = services._counts((assessor.id, assessor.id + 1), since)
    assert full_scans(query, ("decision", "sample_item", "sample")) == []


def test_the_counts_are_kept_until_a_decision_or_sample_is_added(
    assessor: User, make: Factory
) -> None:
    iqa = make.user(Role.IQA, name="Ian Quality")
    learner = make.learner(assessor=assessor)
    first = decided(make, assessor, learner, days_ago=3)

    def counts() -> tuple[int, int]:
        (row,) = services.plan_rows().items
        return row.decisions, row.sampled

    assert counts() == (1, 0)
    assert counts() == (1, 0)  # kept
    second = decided(make, assessor, learner)
    assert counts() == (2, 0)
    _sample(iqa, [first.id, second.id], days_ago=0)
    assert counts() == (2, 2)
    # Another period is counted apart.
    (row,) = services.plan_rows(today=date.today() - timedelta(days=120)).items
    assert (row.decisions, row.sampled) == (2, 2)
    (row,) = services.plan_rows(today=date.today() + timedelta(days=100)).items
    assert (row.decisions, row.sampled) == (0, 0)
