"""The heatmap's counts kept by learner group (quizzes.group_tally) stay equal to what
analytics.cells_query counts after every kind of change to them: a misconception shown and
cleared, a first finish of an element's quiz, a change of group, the learner role taken away and
given back, a user deleted, holders in no group and holders who are not learners; through a
random run of the quiz services; when two changes for one learner come at once; and as
migration 0021 backfills them. The heatmap reads them in one statement, and counts in SQL
when they are stale. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, select, text, update

from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.cli import load_data
from portfolio.data import DataSet
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import analytics, group_tally, services, tallies
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    AttemptMode,
    ElementGroupTally,
    HeldMisconception,
    MisconceptionGroupTally,
)
from tests.conftest import make_app
from tests.factories import Factory
from tests.quizzes.support import right, wrong
from tests.quizzes.test_tallies import Clock, _step
from tests.support.queries import full_scans, statements
from tests.test_migrations import _empty_database

QUIZ = "pts-a-rights"
Sums = dict[tuple[str, str, int | None], tuple[int, int]]


def _sums(rows: Any) -> Sums:
    """(kind, key, group) -> (learners, holders), added over the rows, zeros left out."""
    found: Counter[tuple[str, str, int | None, str]] = Counter()
    for r in rows:
        found[(r.kind, r.key, r.cohort_id, "learners")] += int(r.learners)
        found[(r.kind, r.key, r.cohort_id, "holders")] += int(r.holders)
    keys = {k[:3] for k, n in found.items() if n}
    return {k: (found[(*k, "learners")], found[(*k, "holders")]) for k in keys}


def _agree(now: datetime | None = None) -> Sums:
    """The kept counts (and the correction for `now`) add up to cells_query's for every
    misconception, and the tables hold what rebuild() would count. Returns the sums."""
    db.session.expire_all()
    now = now or utcnow()
    misconceptions = db.session.execute(select(Misconception.id, Misconception.element_id)).all()
    ids = [m.id for m in misconceptions]
    expected = _sums(db.session.execute(analytics.cells_query(now, ids)))
    kept = db.session.execute(
        analytics.kept_cells_query(now, ids, {m.element_id for m in misconceptions})
    ).all()
    assert _sums(kept) == expected
    assert not analytics._stale(kept, {m.id: m.element_id for m in misconceptions}, None)
    assert _nonzero(analytics._cells(now, misconceptions)) == _cells_from(expected, misconceptions)
    assert _tables() == _counted()
    return expected


def _nonzero(cells: dict[Any, analytics.GroupCell]) -> dict[Any, analytics.GroupCell]:
    return {k: c for k, c in cells.items() if c.holders or c.learners}


def _cells_from(sums: Sums, misconceptions: Any) -> dict[Any, analytics.GroupCell]:
    """The heatmap's cells by the definition in cells_query's docstring: a cell's learners are
    its element's plus its misconception's; its holders are the misconception's."""
    found = {}
    groups = {k[2] for k in sums}
    for m in misconceptions:
        for g in groups:
            base = sums.get(("element", m.element_id, g), (0, 0))[0]
            extra, holders = sums.get(("misconception", m.id, g), (0, 0))
            if base + extra or holders:
                found[(m.id, g)] = analytics.GroupCell(holders, base + extra)
    return found


def _tables() -> set[tuple[Any, ...]]:
    """The kept rows that count anything."""
    e, m = ElementGroupTally, MisconceptionGroupTally
    return {
        ("element", *r)
        for r in db.session.execute(
            select(e.element_id, e.cohort_key, e.learners).where(e.learners != 0)
        )
    } | {
        ("misconception", *r)
        for r in db.session.execute(
            select(m.misconception_id, m.cohort_key, m.element_id, m.holders, m.not_finished).where(
                (m.holders != 0) | (m.not_finished != 0)
            )
        )
    }


def _counted() -> set[tuple[Any, ...]]:
    """What group_tally.rebuild() would write, counted by its own SELECTs."""
    elements = db.session.execute(group_tally.element_counts()).all()
    misconceptions = db.session.execute(group_tally.misconception_counts()).all()
    return {("element", *r) for r in elements} | {
        ("misconception", r[0], r[1], r[4], r[2], r[3]) for r in misconceptions
    }


def _test(learner: User, answer: Any, quiz: str = QUIZ) -> None:
    found = services.get_quiz(quiz)
    assert found is not None
    attempt = services.start_attempt(learner, found, AttemptMode.TEST)
    responses = {s.question.id: answer(s.spec) for s in services.shown_questions(attempt)}
    services.submit_attempt(attempt, responses)


def _wrong_where_it_can(spec: Any) -> dict[str, Any]:
    try:
        return wrong(spec)
    except AssertionError:  # no wrong answer to it reveals a misconception
        return right(spec)


def _practice_one_wrong(learner: User, quiz: str = QUIZ) -> None:
    """One wrong answer in a practice left unfinished: holds it, has finished nothing."""
    found = services.get_quiz(quiz)
    assert found is not None
    attempt = services.start_attempt(learner, found, AttemptMode.PRACTICE)
    for shown in services.shown_questions(attempt):
        try:
            response = wrong(shown.spec)
        except AssertionError:
            continue
        services.answer_question(attempt, shown.number, response)
        return
    raise AssertionError("no question of the quiz reveals a misconception")


def _get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def _cell(sums: Sums, misconception_id: str, group: int | None) -> tuple[int, int]:
    return sums.get(("misconception", misconception_id, group), (0, 0))


def test_every_kind_of_change_keeps_the_counts(
    ctx: None, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    monkeypatch.setattr(services, "utcnow", clock)
    day, evening = make.cohort("Day"), make.cohort("Evening")
    a, b, loner = (_get(make.learner().id) for _ in range(3))
    tutor = _get(make.user(Role.TUTOR).id)
    accounts.assign_cohort(a, db.session.get(Cohort, day.id))
    accounts.assign_cohort(b, db.session.get(Cohort, day.id))
    _agree(clock.now)

    # A misconception shown, and the element's quiz finished for the first time.
    _test(a, _wrong_where_it_can)
    sums = _agree(clock.now)
    held = db.session.scalars(
        select(HeldMisconception.misconception_id).where(HeldMisconception.user_id == a.id)
    ).all()
    assert held and _cell(sums, held[0], day.id) == (0, 1)
    # Held by someone who has not finished a quiz of its element: counted among its learners.
    _practice_one_wrong(b)
    sums = _agree(clock.now)
    # Held by a learner in no group, and by someone who is not a learner.
    _test(loner, _wrong_where_it_can)
    _test(tutor, _wrong_where_it_can)
    sums = _agree(clock.now)
    assert _cell(sums, held[0], None) == (0, 2)

    # Cleared by a right answer on a later day.
    clock.now += timedelta(days=2)
    _test(a, right)
    sums = _agree(clock.now)
    assert _cell(sums, held[0], day.id) == (0, 0)

    # A change of group, and back to none.
    accounts.assign_cohort(loner, db.session.get(Cohort, evening.id))
    sums = _agree(clock.now)
    assert _cell(sums, held[0], evening.id) == (0, 1)
    accounts.assign_cohort(loner, None)
    _agree(clock.now)

    # The learner role taken away (counted in no group), and given back.
    (b_holds,) = db.session.scalars(
        select(HeldMisconception.misconception_id).where(HeldMisconception.user_id == b.id)
    )
    assert _cell(_agree(clock.now), b_holds, day.id) == (1, 1)
    with accounts.regrouping([b.id]):
        b.roles = [UserRole(role=Role.TUTOR)]
    db.session.commit()
    assert _cell(_agree(clock.now), b_holds, day.id) == (0, 0)
    with accounts.regrouping([b.id]):
        b.roles = [UserRole(role=Role.TUTOR), UserRole(role=Role.LEARNER)]
    db.session.commit()
    assert _cell(_agree(clock.now), b_holds, day.id) == (1, 1)

    # A user deleted (their rows go with them).
    with accounts.regrouping([b.id]):
        attempts = select(Attempt.id).where(Attempt.user_id == b.id)
        db.session.execute(delete(Answer).where(Answer.attempt_id.in_(attempts)))
        db.session.execute(delete(Attempt).where(Attempt.user_id == b.id))
        db.session.delete(b)
    db.session.commit()
    assert _cell(_agree(clock.now), b_holds, day.id) == (0, 0)
    assert _tables()  # a, loner and the tutor are still counted


@pytest.mark.parametrize("seed", [3, 4])
def test_the_counts_follow_a_random_run_of_the_services(
    ctx: None, make: Factory, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    clock = Clock()
    monkeypatch.setattr(services, "utcnow", clock)
    learners = [_get(make.learner().id) for _ in range(6)]
    cohorts = [db.session.get(Cohort, make.cohort(f"Group {n}").id) for n in range(3)]
    done: Counter[str] = Counter()
    for n in range(50):
        done[_step(rng, clock, rng.choice(learners), cohorts)] += 1  # type: ignore[arg-type]
        if n % 10 == 9:
            _agree(clock.now)
    assert {"group", "day", "test", "practice"} <= set(done), done
    # An earlier moment: the kept counts corrected by what changed since.
    _agree(clock.now - timedelta(days=3))


def test_rebuilding_gives_what_was_kept(ctx: None, make: Factory) -> None:
    learners = [_get(make.learner().id) for _ in range(3)]
    make.cohort("Day", *learners[:2])
    for learner in learners:
        _test(learner, _wrong_where_it_can)
    before = _tables()
    assert before
    tallies.rebuild()  # the analytics' summaries, then the counts by group
    db.session.commit()
    assert _tables() == before == _counted()


def test_two_changes_at_once_for_one_learner_count_once(app: Flask, make: Factory) -> None:
    """A change of group waits for another change to the same learner to commit, then starts
    from it: each moves the counts once."""
    learner = make.learner()
    one, two, three = make.cohort("One", learner), make.cohort("Two"), make.cohort("Three")
    with app.app_context():
        _test(_get(learner.id), _wrong_where_it_can)

    def regroup() -> None:
        with app.app_context():
            accounts.assign_cohort(_get(learner.id), db.session.get(Cohort, three.id))

    other = threading.Thread(target=regroup)
    with app.app_context():
        person = _get(learner.id)
        with accounts.regrouping([person.id]):
            person.cohort_id = two.id
        other.start()
        time.sleep(0.5)
        assert other.is_alive()  # waiting for this transaction
        db.session.commit()
    other.join(timeout=10)
    assert not other.is_alive()
    with app.app_context():
        sums = _agree()
        groups = {k[2] for k in sums}
        assert three.id in groups and not {one.id, two.id} & groups


def test_the_heatmap_reads_the_kept_counts_in_one_statement(ctx: None, make: Factory) -> None:
    learners = [_get(make.learner().id) for _ in range(3)]
    make.cohort("Day", *learners)
    for learner in learners:
        _test(learner, _wrong_where_it_can)
    rows = db.session.execute(analytics.held_now_query(utcnow(), None)).all()
    with statements() as seen:
        cells = analytics._cells(utcnow(), rows)
    assert len(seen) == 1 and "group_tally" in seen[0]
    assert cells
    now = utcnow()
    misconception_ids = {r.id for r in rows}
    query = analytics.kept_cells_query(now, misconception_ids, {r.element_id for r in rows})
    assert full_scans(query, ("held_misconception", "element_learner")) == []


def _expected(now: datetime, rows: Any) -> dict[Any, analytics.GroupCell]:
    sums = _sums(db.session.execute(analytics.cells_query(now, [r.id for r in rows])))
    return _cells_from(sums, rows)


def test_stale_counts_are_not_used(ctx: None, make: Factory) -> None:
    """A misconception moved to another element (its rows were counted against the old one),
    or a group deleted from under its learners: the heatmap counts in SQL instead."""
    learners = [_get(make.learner().id) for _ in range(3)]
    group = make.cohort("Day", *learners[:2])
    for learner in learners:
        _test(learner, _wrong_where_it_can)
    now = utcnow()
    target = db.session.execute(analytics.held_now_query(now, None)).first()
    assert target is not None
    db.session.execute(
        update(Misconception).where(Misconception.id == target.id).values(element_id="pts-b")
    )
    rows = db.session.execute(analytics.held_now_query(now, None)).all()
    every = [c.cohort_id for c in analytics._columns(now)]
    with statements() as seen:
        cells = analytics._cells(now, rows, every)
    assert len(seen) == 2  # the kept rows, found stale, then cells_query
    assert _nonzero(cells) == _expected(now, rows)
    db.session.rollback()

    db.session.execute(delete(Cohort).where(Cohort.id == group.id))  # its learners: no group
    rows = db.session.execute(analytics.held_now_query(now, None)).all()
    every = [c.cohort_id for c in analytics._columns(now)]
    assert group.id not in every
    with statements() as seen:
        cells = analytics._cells(now, rows, every)
    assert len(seen) == 2
    assert _nonzero(cells) == _expected(now, rows)
    assert {g for _, g in cells} == {None}
    db.session.rollback()


def test_loading_the_data_files_counts_again(ctx: None, shipped_data: DataSet) -> None:
    """Loading the data files (`portfolio init`: a misconception may move) counts again."""
    db.session.add(ElementGroupTally(element_id="pts-a", cohort_key=0, learners=5))
    db.session.commit()
    assert _tables() != _counted()
    load_data(shipped_data)
    assert _tables() == _counted()


# --- Migration 0021 ----------------------------------------------------------------------------

_AT = "2026-05-01 10:00:00"
ROWS_AT_0020: list[tuple[str, list[dict[str, object]]]] = [
    ("INSERT INTO qualification (id, version, title) VALUES ('qual', 1, 'Q')", [{}]),
    (
        "INSERT INTO unit (id, qualification_id, position, title) VALUES ('u1', 'qual', 0, 'U')",
        [{}],
    ),
    (
        "INSERT INTO element (id, unit_id, position, title, synopsis, version)"
        " VALUES (:id, 'u1', :n, 'E', 'S', 1)",
        [{"id": "e1", "n": 0}, {"id": "e2", "n": 1}],
    ),
    (
        "INSERT INTO misconception (id, element_id, text) VALUES (:id, :element, 'M')",
        [
            {"id": "e1.m1", "element": "e1"},
            {"id": "e1.m2", "element": "e1"},
            {"id": "e2.m1", "element": "e2"},
        ],
    ),
    (
        "INSERT INTO cohort (id, name, created_at) VALUES (:id, :name, :at)",
        [{"id": 1, "name": "Day", "at": _AT}, {"id": 2, "name": "Evening", "at": _AT}],
    ),
    (
        "INSERT INTO user_account (id, email, name, password_hash, session_token, active,"
        " assessor_id, created_at, cohort_id) VALUES (:id, :email, 'L', 'x', :token, true,"
        " NULL, '2026-01-01 00:00:00', :cohort)",
        [
            {"id": n, "email": f"l{n}@example.org", "token": f"t{n}", "cohort": cohort}
            # 5 is in a group but no longer a learner; 4 is a learner in none.
            for n, cohort in [(1, 1), (2, 1), (3, 2), (4, None), (5, 2)]
        ],
    ),
    (
        "INSERT INTO user_role (user_id, role) VALUES (:user, :role)",
        [
            {"user": n, "role": "tutor" if n == 5 else "learner"}  # 5 is no longer a learner
            for n in (1, 2, 3, 4, 5)
        ],
    ),
    (
        "INSERT INTO element_learner (element_id, user_id, first_finished_at)"
        " VALUES (:element, :user, :at)",
        [
            {"element": e, "user": u, "at": _AT}
            for e, u in [("e1", 1), ("e1", 2), ("e1", 3), ("e2", 1), ("e1", 5)]
        ],
    ),
    (
        "INSERT INTO held_misconception (user_id, misconception_id, first_seen_at, last_seen_at,"
        " times_seen, cleared_at, last_explanation, box) VALUES (:user, :m, :at, :at, 1,"
        " :cleared, 'Why', 1)",
        [
            {"user": u, "m": m, "at": _AT, "cleared": cleared}
            for u, m, cleared in [
                (1, "e1.m1", None),
                (2, "e1.m1", "2026-05-04 10:00:00"),
                (3, "e1.m1", None),
                (4, "e1.m1", None),  # has finished no quiz of e1
                (5, "e1.m2", None),
                (1, "e2.m1", None),
                (2, "e2.m1", None),  # has finished no quiz of e2
            ]
        ],
    ),
]


def test_0021_counts_the_heatmap_by_group(tmp_path: Path) -> None:
    _empty_database(tmp_path)
    app = make_app(tmp_path)
    with app.app_context():
        upgrade(revision="0020")
        with db.engine.begin() as conn:
            for statement, rows in ROWS_AT_0020:
                conn.execute(text(statement), rows)
        upgrade()
        sums = _agree()
        assert _tables() == {
            ("element", "e1", 1, 2),
            ("element", "e1", 2, 1),
            ("element", "e1", 0, 1),
            ("element", "e2", 1, 1),
            ("misconception", "e1.m1", 1, "e1", 1, 0),
            ("misconception", "e1.m1", 2, "e1", 1, 0),
            ("misconception", "e1.m1", 0, "e1", 1, 1),
            ("misconception", "e1.m2", 0, "e1", 1, 0),
            ("misconception", "e2.m1", 1, "e2", 2, 1),
        }
        assert _cell(sums, "e2.m1", 1) == (1, 2)
        db.session.remove()
        db.engine.dispose()
