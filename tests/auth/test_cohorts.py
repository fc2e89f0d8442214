"""Learner groups: creating them, putting learners in one, and what the analytics read."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role, User
from portfolio.extensions import db
from tests.factories import Factory


def _cohort_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Cohort))


def test_create_cohort_trims_the_name_and_lists_groups_by_name(ctx: None) -> None:
    accounts.create_cohort("  Level 2 — September 2026 day ")
    accounts.create_cohort("Level 1 — January 2027 evening")
    names = [c.name for c in accounts.list_cohorts()]
    assert names == ["Level 1 — January 2027 evening", "Level 2 — September 2026 day"]
    assert all(c.created_at is not None for c in accounts.list_cohorts())


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "needs a name"), ("   ", "needs a name"), ("x" * 121, "at most 120 characters")],
    ids=["empty", "blank", "too-long"],
)
def test_a_group_needs_a_usable_name(ctx: None, name: str, message: str) -> None:
    with pytest.raises(accounts.AccountError, match=message):
        accounts.create_cohort(name)
    assert _cohort_count() == 0


def test_a_duplicate_name_is_refused_whatever_the_case(ctx: None) -> None:
    accounts.create_cohort("Evening group")
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create_cohort(" evening GROUP")
    assert _cohort_count() == 1


def test_a_duplicate_that_slips_past_the_check_is_an_error_not_a_crash(
    ctx: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts.create_cohort("Day group")
    # As when another admin creates the same name between our check and our insert.
    monkeypatch.setattr(accounts, "find_cohort", lambda name: None)
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create_cohort("Day group")
    # The failed insert was rolled back: the session still works.
    assert [c.name for c in accounts.list_cohorts()] == ["Day group"]


def test_assign_moves_a_learner_between_groups_and_out(ctx: None, make: Factory) -> None:
    day, evening = accounts.create_cohort("Day"), accounts.create_cohort("Evening")
    learner = db.session.get(User, make.learner().id)
    assert learner is not None and learner.cohort_id is None
    accounts.assign_cohort(learner, day)
    accounts.assign_cohort(learner, evening)
    db.session.expire_all()
    assert learner.cohort_id == evening.id
    assert accounts.cohort_sizes() == {evening.id: 1}
    accounts.assign_cohort(learner, None)
    db.session.expire_all()
    assert learner.cohort_id is None
    assert accounts.cohort_sizes() == {}


def test_only_a_learner_joins_a_group(ctx: None, make: Factory) -> None:
    group = accounts.create_cohort("Day")
    tutor = db.session.get(User, make.user(Role.TUTOR, name="Tia Tutor").id)
    assert tutor is not None
    with pytest.raises(accounts.AccountError, match="Tia Tutor is not a learner"):
        accounts.assign_cohort(tutor, group)
    db.session.rollback()
    assert db.session.get(User, tutor.id).cohort_id is None


def test_learner_cohorts_lists_every_learner_and_only_learners(ctx: None, make: Factory) -> None:
    grouped, loose = make.learner(), make.learner()
    make.user(Role.TUTOR)
    group = make.cohort("Day", grouped)
    assert accounts.learner_cohorts() == {grouped.id: group.id, loose.id: None}


def test_deleting_a_group_leaves_its_learners_in_none(ctx: None, make: Factory) -> None:
    learner = make.learner()
    group = make.cohort("Day", learner)
    db.session.execute(delete(Cohort).where(Cohort.id == group.id))
    db.session.commit()
    assert db.session.get(User, learner.id).cohort_id is None
