"""The heatmap of misconceptions by learner group, kept (models.ElementGroupTally,
MisconceptionGroupTally): in each group, those who have finished a quiz of each element, and
those who hold each misconception now with how many of them have not finished a quiz of its
element. The tutors' analytics page reads a row per element or misconception and group
instead of counting every holder on each view (issue 12).

What a user adds to these counts (their contribution) follows from their own few rows: their
element_learner rows, their held misconceptions not cleared, their group and whether they are
a learner. `keeping(users)` is taken around any change to those: it reads the users'
contribution before the change and after it, and adds the difference with an upsert a table,
in the change's transaction. The quiz services take it around an answer or a finished
attempt, accounts around a change of group (auth.services, through the keeper create_app
registers), and so must anything else that changes a learner's role or group or deletes a
user. `rebuild()` counts everything again from the rows, in set-based SQL: for rows written
straight to the tables (the benchmark's generator, tests) and whenever the data files are
loaded (a misconception may have moved to another element)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased

from portfolio.auth.models import Role, User, UserRole
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes.models import (
    NO_GROUP_KEY,
    ElementGroupTally,
    ElementLearner,
    HeldMisconception,
    MisconceptionGroupTally,
)
from portfolio.quizzes.upserts import adding


def _with_group(query: Select[Any], user_id: Any) -> tuple[Select[Any], ColumnElement[int]]:
    """The query joined to the user and their learner role, and the user's group key: their
    group while they are a learner, else NO_GROUP_KEY (the rule of analytics._learner_group).
    A join, not an EXISTS, so the key can be grouped by on PostgreSQL."""
    learner = aliased(UserRole)
    joined = query.join(User, User.id == user_id).outerjoin(
        learner, and_(learner.user_id == user_id, learner.role == Role.LEARNER)
    )
    key = case(
        (learner.user_id.is_not(None), func.coalesce(User.cohort_id, NO_GROUP_KEY)),
        else_=NO_GROUP_KEY,
    )
    return joined, key


def element_counts(*where: ColumnElement[bool]) -> Select[Any]:
    """(element_id, cohort_key, learners): element_learner rows by the user's group."""
    query, key = _with_group(select().select_from(ElementLearner), ElementLearner.user_id)
    return (
        query.add_columns(
            ElementLearner.element_id, key.label("cohort_key"), func.count().label("learners")
        )
        .where(*where)
        .group_by(ElementLearner.element_id, key)
    )


def misconception_counts(*where: ColumnElement[bool]) -> Select[Any]:
    """(misconception_id, cohort_key, holders, not_finished, element_id): the misconceptions
    held and not cleared, by the holder's group, and how many of those holders have not
    finished a quiz of the misconception's element."""
    held, finished = HeldMisconception, aliased(ElementLearner)
    query, key = _with_group(
        select()
        .select_from(held)
        .join(Misconception, Misconception.id == held.misconception_id)
        .outerjoin(
            finished,
            and_(finished.element_id == Misconception.element_id, finished.user_id == held.user_id),
        ),
        held.user_id,
    )
    return (
        query.add_columns(
            held.misconception_id,
            key.label("cohort_key"),
            func.count().label("holders"),
            (func.count() - func.count(finished.user_id)).label("not_finished"),
            Misconception.element_id,
        )
        .where(held.cleared_at.is_(None), *where)
        .group_by(held.misconception_id, key, Misconception.element_id)
    )


@cache
def _contribution_statement() -> CompoundSelect[Any]:
    users: Any = bindparam("users", expanding=True)
    return union_all(
        element_counts(ElementLearner.user_id.in_(users)).add_columns(
            literal(0), cast(null(), String), literal("element").label("kind")
        ),
        misconception_counts(HeldMisconception.user_id.in_(users)).add_columns(
            literal("misconception").label("kind")
        ),
    )


Contribution = Counter[tuple[Any, ...]]


def contribution(user_ids: Collection[int]) -> Contribution:
    """What these users add to each kept count, by (table, key, group[, element], count
    name): one statement. A user who does not exist adds nothing."""
    found: Contribution = Counter()
    if not user_ids:
        return found
    for key, group, first, second, element, kind in db.session.execute(
        _contribution_statement(), {"users": sorted(user_ids)}
    ):
        if kind == "element":
            found[("element", key, group, "learners")] += first
        else:
            found[("misconception", key, group, element, "holders")] += first
            found[("misconception", key, group, element, "not_finished")] += second
    return found


def _lock(user_ids: Collection[int]) -> None:
    """Make this transaction the only one changing these users' contributions until it ends,
    so the contribution read before a change is the one the change starts from and two
    changes at once count once each. PostgreSQL: the users' rows, in id order (FOR NO KEY
    UPDATE, which rows naming the user as a foreign key do not wait for; the centre's tallies
    lock the same rows). SQLite has one writer: this transaction becomes it now, where pysqlite
    would begin only at the first write, after the read."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(User.id)
            .where(User.id.in_(sorted(user_ids)))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )
        return
    driver = db.session.connection().connection.driver_connection
    if driver is not None and not driver.in_transaction:
        db.session.execute(text("BEGIN IMMEDIATE"))


def apply(change: Contribution) -> None:
    """Add a difference of contributions to the kept counts: at most one statement a table,
    rows in key order (two transactions touching the same rows take them in one order)."""
    elements: Counter[tuple[str, int]] = Counter()
    misconceptions: dict[tuple[str, int], dict[str, Any]] = {}
    for key, n in change.items():
        if not n:
            continue
        if key[0] == "element":
            elements[(key[1], key[2])] += n
            continue
        _, misconception_id, group, element_id, name = key
        row = misconceptions.setdefault(
            (misconception_id, group),
            {
                "misconception_id": misconception_id,
                "cohort_key": group,
                "element_id": element_id,
                "holders": 0,
                "not_finished": 0,
            },
        )
        row[name] += n
    element_rows = [
        {"element_id": e, "cohort_key": g, "learners": n}
        for (e, g), n in sorted(elements.items())
        if n
    ]
    if element_rows:
        table = ElementGroupTally.__table__
        db.session.execute(
            adding(table, ["element_id", "cohort_key"], ["learners"]),  # type: ignore[arg-type]
            element_rows,
        )
    misconception_rows = [
        row for _, row in sorted(misconceptions.items()) if row["holders"] or row["not_finished"]
    ]
    if misconception_rows:
        table = MisconceptionGroupTally.__table__
        db.session.execute(
            adding(table, ["misconception_id", "cohort_key"], ["holders", "not_finished"]),  # type: ignore[arg-type]
            misconception_rows,
        )


@contextmanager
def keeping(user_ids: Collection[int]) -> Iterator[None]:
    """Around a change that can alter what these users add to the kept counts (enter it before
    the change is made, even in the session): the counts move by the difference when the
    block ends, in the same transaction. Nothing moves if the block raises. Two statements
    and a lock, plus one upsert a table whose counts changed."""
    users = sorted(set(user_ids))
    if not users:
        yield
        return
    db.session.flush()
    _lock(users)
    before = contribution(users)
    yield
    db.session.flush()
    change = contribution(users)
    change.subtract(before)
    apply(change)


def rebuild() -> None:
    """Count both tables again from element_learner, the held misconceptions and everyone's
    group now, in set-based SQL (four statements); the caller commits."""
    db.session.execute(delete(ElementGroupTally))
    db.session.execute(delete(MisconceptionGroupTally))
    db.session.execute(
        insert(ElementGroupTally).from_select(
            ["element_id", "cohort_key", "learners"], element_counts()
        )
    )
    db.session.execute(
        insert(MisconceptionGroupTally).from_select(
            ["misconception_id", "cohort_key", "holders", "not_finished", "element_id"],
            misconception_counts(),
        )
    )
