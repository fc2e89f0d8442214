"""A worked-out proposal is kept while nothing it depends on changes, and so is what the page
reads from it (the ordered entries and their fingerprint); a renamed assessor or a new decision
gives a new one at once."""

from __future__ import annotations

import pytest

from portfolio.auth.models import Role, User
from portfolio.core.paging import PageArg
from portfolio.extensions import db
from portfolio.iqa import proposals, services
from tests.factories import Factory
from tests.iqa.support import decided


@pytest.fixture
def iqa(ctx: None, make: Factory) -> User:
    return make.user(Role.IQA, name="Ian Quality")


def test_the_same_proposal_is_read_again_until_something_changes(iqa: User, make: Factory) -> None:
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    learner = make.learner(assessor=assessor)
    for _ in range(3):
        decided(make, assessor, learner)
    period = services.default_period()
    first = services.propose_sample(iqa, period)
    again = services.propose_sample(iqa, period)
    assert again is first
    assert first.fingerprint == proposals.fingerprint(first.entries)

    assessor.name = "Alan Renamed"
    db.session.commit()
    renamed = services.propose_sample(iqa, period)
    assert renamed is not first
    assert {s.assessor_name for s in renamed.shares} == {"Alan Renamed"}
    assert {e.assessor_name for e in renamed.entries} == {"Alan Renamed"}

    decided(make, assessor, learner)
    grown = services.propose_sample(iqa, period)
    assert grown is not renamed
    assert sum(s.decisions for s in grown.shares) == 4
    page = services.proposal_page(iqa, period, services.Filters(), PageArg())
    assert page.fingerprint == proposals.fingerprint(grown.entries)
