"""The caseload and overdue pages read their rows as plain columns (caseload.WaitingRow), not
entities: the same items, clocks, names and reopenings as the entity lists (queue_items,
overdue_decisions), read through indexes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portfolio.assessment import caseload
from portfolio.assessment import services as assessment
from portfolio.assessment.caseload import Named, QueueFilter, WaitingRow
from portfolio.assessment.models import Outcome
from portfolio.assessment.turnaround import ClockState
from portfolio.auth.models import Role, User
from portfolio.core.paging import PageArg
from portfolio.evidence.models import Submission
from portfolio.extensions import db
from tests.assessment.support import backdate
from tests.factories import Factory
from tests.iqa.support import decide
from tests.support.queries import full_scans, plan

TODAY = date(2026, 3, 12)  # a Thursday
BIG_TABLES = ("evidence", "submission", "decision")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def submitted(make: Factory, learner: User, on: datetime, **kwargs: object) -> Submission:
    submission = make.submission(learner, **kwargs)
    backdate(submission.id, on)
    found = db.session.get(Submission, submission.id)
    assert found is not None
    return found


@pytest.fixture
def assessor(ctx: None, make: Factory) -> User:
    return make.user(Role.ASSESSOR, name="Alan Assessor")


def _as_row(item: caseload.QueueItem, assessor: bool = False) -> tuple[object, ...]:
    s, learner = item.submission, item.learner
    owner = learner.assessor if assessor else None
    return (
        s.id,
        s.evidence_id,
        s.title,
        s.number,
        s.submitted_at,
        Named(learner.id, learner.name),
        item.evidence.element.title,
        Named(owner.id, owner.name) if owner else None,
        item.clock,
        item.reopened is not None,
    )


def _fields(row: WaitingRow) -> tuple[object, ...]:
    return (
        row.submission_id,
        row.evidence_id,
        row.title,
        row.number,
        row.submitted_at,
        row.learner,
        row.element_title,
        row.assessor,
        row.clock,
        row.reopened,
    )


def test_the_queue_page_rows_are_the_queue_items(assessor: User, make: Factory) -> None:
    learner = make.learner(assessor=assessor, name="Lily Learner")
    submitted(make, learner, at(date(2026, 3, 11)), title="Newest")
    submitted(make, learner, at(date(2026, 2, 2)), title="Months late")
    submitted(make, learner, at(date(2026, 3, 4)), title="Middle")
    again = submitted(make, learner, at(date(2026, 3, 2)), title="Reopened")
    decision = decide(assessor, again, Outcome.ACCEPTED)
    assessment.reopen_decision(decision)
    db.session.commit()
    decision.superseded_at = at(date(2026, 3, 10))
    backdate(again.id, at(date(2026, 3, 2)), clock=decision.superseded_at)
    submitted(make, make.learner(assessor=make.user(Role.ASSESSOR)), at(date(2026, 3, 1)))

    page = caseload.queue_page(QueueFilter(assessor_id=assessor.id), PageArg(), TODAY)
    items = caseload.queue_items(assessor, TODAY)
    assert page.total == 4
    assert [_fields(r) for r in page.items] == [_as_row(i) for i in items]
    assert [r.title for r in page.items if r.reopened] == ["Reopened"]
    assert [(r.title, r.clock.state) for r in page.items] == [
        ("Months late", ClockState.OVERDUE),
        ("Middle", ClockState.DUE_SOON),
        ("Reopened", ClockState.ON_TIME),
        ("Newest", ClockState.ON_TIME),
    ]


def test_the_overdue_page_rows_are_the_overdue_items(assessor: User, make: Factory) -> None:
    other = make.user(Role.ASSESSOR, name="Olga Other")
    submitted(make, make.learner(assessor=assessor), at(date(2026, 3, 2)), title="One day")
    submitted(make, make.learner(assessor=other), at(date(2026, 2, 23)), title="Six days")
    submitted(make, make.learner(name="Una Unassigned"), at(date(2026, 2, 27)), title="Nobody's")
    submitted(make, make.learner(assessor=assessor), at(date(2026, 3, 10)), title="On time")

    page = caseload.overdue_page(QueueFilter(), PageArg(), TODAY)
    items = caseload.overdue_decisions(TODAY)
    assert [_fields(r) for r in page.items] == [_as_row(i, assessor=True) for i in items]
    assert [(r.title, r.assessor.name if r.assessor else None) for r in page.items] == [
        ("Six days", "Olga Other"),
        ("Nobody's", None),
        ("One day", "Alan Assessor"),
    ]


def test_the_loads_name_each_learner_and_assessor(assessor: User, make: Factory) -> None:
    learner = make.learner(assessor=assessor, name="Lily Learner")
    submitted(make, learner, at(date(2026, 3, 2)))
    (load,) = caseload.learner_loads(assessor, PageArg(), TODAY).items
    assert (load.learner, load.waiting, load.overdue) == (Named(learner.id, "Lily Learner"), 1, 1)
    (mine,) = caseload.assessor_loads(PageArg(), TODAY).items
    assert (mine.assessor, mine.learners, mine.waiting) == (
        Named(assessor.id, "Alan Assessor"),
        1,
        1,
    )


@pytest.mark.parametrize(
    "where",
    [QueueFilter(state=ClockState.OVERDUE), QueueFilter(assessor_id=1)],
    ids=["overdue", "one assessor"],
)
def test_the_row_queries_read_through_indexes(ctx: None, where: QueueFilter) -> None:
    cut = caseload.cutoffs(TODAY)
    for with_assessor in (False, True):
        query = caseload._waiting_rows(where, cut, assessor=with_assessor)
        assert full_scans(query, BIG_TABLES) == []


def test_one_assessors_rows_are_found_from_their_learners(ctx: None) -> None:
    """Through ix_evidence_learner_status and sorted, not by walking every waiting item of the
    centre in the index that has the lists' order: SQLite without statistics took the status
    test for a selective one (caseload._Likely)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a hint to SQLite's planner; PostgreSQL plans from its statistics")
    query = caseload._rows_page(QueueFilter(assessor_id=1), caseload.cutoffs(TODAY), False, 1, 50)
    found = plan(query)
    assert "ix_evidence_learner_status" in found
    assert "ix_evidence_status_awaiting_since" not in found


def test_each_assessors_page_is_their_own_however_often_asked(
    assessor: User, make: Factory
) -> None:
    """The statements are remembered by their inputs: asking for one assessor's queue never
    gives another's, nor an earlier day's clocks."""
    other = make.user(Role.ASSESSOR, name="Olga Other")
    submitted(make, make.learner(assessor=assessor), at(date(2026, 3, 2)), title="Alan's")
    submitted(make, make.learner(assessor=other), at(date(2026, 3, 3)), title="Olga's")
    for _ in range(2):
        for who, title in ((assessor, "Alan's"), (other, "Olga's")):
            page = caseload.queue_page(QueueFilter(assessor_id=who.id), PageArg(), TODAY)
            assert [r.title for r in page.items] == [title]
            (load,) = caseload.learner_loads(who, PageArg(), TODAY).items
            assert load.waiting == 1
    early = caseload.queue_page(QueueFilter(assessor_id=assessor.id), PageArg(), date(2026, 3, 3))
    assert early.items[0].clock.state is ClockState.ON_TIME


@pytest.mark.parametrize("state", [None, *ClockState])
def test_the_queue_total_taken_from_the_counts_is_the_count(
    assessor: User, make: Factory, state: ClockState | None
) -> None:
    learner = make.learner(assessor=assessor)
    for day in (date(2026, 2, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 11)):
        submitted(make, learner, at(day))
    where = QueueFilter(assessor_id=assessor.id, state=state)
    page, counts = caseload.queue_and_counts(where, PageArg(), TODAY)
    assert page.total == caseload.waiting_count(where, TODAY) == len(page.items)
    assert counts == caseload.state_counts(where, TODAY)
    assert sum(counts.values()) == 4


def test_a_page_past_the_end_is_the_first_with_a_message(assessor: User, make: Factory) -> None:
    submitted(make, make.learner(assessor=assessor), at(date(2026, 3, 2)))
    page = caseload.queue_page(QueueFilter(assessor_id=assessor.id), PageArg(3), TODAY)
    assert (page.number, len(page.items)) == (1, 1)
    assert page.message == "There is no page 3: showing the first page."
    loads = caseload.learner_loads(assessor, PageArg(2), TODAY)
    assert (loads.number, len(loads.items), loads.message) == (
        1,
        1,
        "There is no page 2: showing the first page.",
    )


def test_the_learners_counts_read_through_indexes(ctx: None) -> None:
    query = caseload._learner_loads_query(1, caseload.cutoffs(TODAY), 1, 50)
    assert full_scans(query, ("evidence", "user_account")) == []
