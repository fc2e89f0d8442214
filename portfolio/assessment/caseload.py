"""Work waiting for assessors, against the turnaround clock: each assessor's queue with due
dates, their learners with counts, every assessor's load, the date a learner can expect a
decision, and what is overdue for the internal quality assurers. Reads only.

The clock of an item starts at `Evidence.awaiting_since` (kept by submitting, deciding and
reopening). Its state is worked out in SQL: an item is overdue when its clock started before
an instant computed here from today, the turnaround and the calendar (`Cutoffs`), so every
list filters, counts and sorts in the database with an index, and only the items on the page
get their due dates and words worked out in Python."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Index,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, contains_eager, lazyload
from sqlalchemy.sql.functions import FunctionElement

from portfolio.assessment import turnaround
from portfolio.assessment.models import Decision
from portfolio.assessment.spec import CalendarSpec, load_calendar
from portfolio.assessment.turnaround import Clock, ClockState
from portfolio.auth.models import Role, User, UserRole
from portfolio.core.paging import PAGE_SIZE, PageArg, Paged, page_number, paginate
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from portfolio.qualifications.models import Element

# Working days are the centre's: a submission made at 00:30 on a summer Tuesday in London was
# made on the Tuesday, though it is still Monday in UTC.
_LOCAL = ZoneInfo("Europe/London")
_DAY = timedelta(days=1)


def calendar() -> CalendarSpec:
    """The holidays file, parsed once per app."""
    cache: dict[str, Any] = current_app.extensions.setdefault("portfolio.calendar", {})
    if "spec" not in cache:
        cache["spec"] = load_calendar(Path(current_app.config["CONTENT_DIR"]))
    spec: CalendarSpec = cache["spec"]
    return spec


def holidays() -> frozenset[date]:
    """The holidays' dates, gathered once per app (a hashable set: clocks are memoised on it)."""
    cache: dict[str, Any] = current_app.extensions.setdefault("portfolio.calendar", {})
    if "dates" not in cache:
        cache["dates"] = calendar().dates
    dates: frozenset[date] = cache["dates"]
    return dates


def turnaround_days() -> int:
    return int(current_app.config.get("TURNAROUND_DAYS", turnaround.DEFAULT_DAYS))


def local_date(moment: datetime) -> date:
    return moment.astimezone(_LOCAL).date()


def today() -> date:
    return local_date(utcnow())


def _clock(started: datetime, on: date | None) -> Clock:
    return _clock_on(local_date(started), on or today(), turnaround_days(), holidays())


@functools.lru_cache(maxsize=4096)
def _clock_on(started: date, on: date, days: int, dates: frozenset[date]) -> Clock:
    """turnaround.clock, remembered: a page's items share a few hundred start days at most, and
    a Clock is an immutable value of its arguments."""
    return turnaround.clock(started, on, days, dates)


def _start_of(day: date) -> datetime:
    """The first instant of `day` in London, in UTC."""
    return datetime.combine(day, time(0), tzinfo=_LOCAL).astimezone(UTC)


@dataclass(frozen=True)
class Cutoffs:
    """The instants that sort waiting items by their clock on one day: an item whose clock
    started before `overdue` is overdue; before `due_soon`, due soon (or overdue)."""

    on: date
    overdue: datetime
    due_soon: datetime

    def late_by(self, days: int) -> datetime:
        """Items whose clock started before this instant are overdue by `days` working days or
        more (as Clock.days counts them)."""
        if days <= 1:
            return self.overdue
        dates = holidays()
        # The latest due date that is `days` working days late today.
        latest_due, counted = self.on, 0
        while counted < days:
            counted += turnaround.is_working_day(latest_due, dates)
            latest_due -= _DAY
        return _start_of(_first_start_due_on_or_after(latest_due + _DAY))


def _first_start_due_on_or_after(
    target: date, days: int | None = None, dates: frozenset[date] | None = None
) -> date:
    """The earliest day a clock can start and be due on `target` or later. Due dates never go
    back as the start moves on, so every earlier start is due before `target`."""
    days = turnaround_days() if days is None else days
    dates = holidays() if dates is None else dates
    start = target - _DAY  # due at least a working day later: on or after target
    while turnaround.add_working_days(start - _DAY, days, dates) >= target:
        start -= _DAY
    return start


def cutoffs(on: date | None = None) -> Cutoffs:
    return _cutoffs(on or today(), turnaround_days(), holidays())


@functools.lru_cache(maxsize=64)
def _cutoffs(on: date, days: int, dates: frozenset[date]) -> Cutoffs:
    """cutoffs, remembered: a value of the day, the turnaround and the holidays."""
    next_working_day = turnaround.add_working_days(on, 1, dates)
    return Cutoffs(
        on,
        overdue=_start_of(_first_start_due_on_or_after(on, days, dates)),
        due_soon=_start_of(_first_start_due_on_or_after(next_working_day + _DAY, days, dates)),
    )


# The lists' statements are remembered by their inputs (filter, cutoffs, page): building one,
# and the cache key SQLAlchemy reads its compiled form by, costs more than running it on a
# page's few rows. Statements only, never results: the SQL runs on every request.
_remembered = functools.lru_cache(maxsize=512)


def _connection() -> Connection:
    """The session's connection, for the lists' statements (columns only, never entities):
    run there they skip the ORM's result machinery, about 30-70 us a statement of the
    caseload page's Python. Flushed first, as Session.execute would (autoflush)."""
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection()


def state_of(cut: Cutoffs) -> ColumnElement[str]:
    """The turnaround state of a waiting item, in SQL."""
    return case(
        (Evidence.awaiting_since < cut.overdue, ClockState.OVERDUE.value),
        (Evidence.awaiting_since < cut.due_soon, ClockState.DUE_SOON.value),
        else_=ClockState.ON_TIME.value,
    )


def in_state(state: ClockState, cut: Cutoffs) -> ColumnElement[bool]:
    if state is ClockState.OVERDUE:
        return Evidence.awaiting_since < cut.overdue
    if state is ClockState.DUE_SOON:
        return and_(Evidence.awaiting_since >= cut.overdue, Evidence.awaiting_since < cut.due_soon)
    return Evidence.awaiting_since >= cut.due_soon


@dataclass(frozen=True)
class QueueItem:
    """A submission awaiting a decision. `reopened` is the decision an IQA sent back, when
    that is why it is waiting again; its clock then runs from the reopening."""

    submission: Submission
    clock: Clock
    reopened: Decision | None = None

    @property
    def evidence(self) -> Evidence:
        return self.submission.evidence

    @property
    def learner(self) -> User:
        return self.submission.evidence.learner


class Named(NamedTuple):
    """Someone as a list shows them: the id its links need, and their name."""

    id: int
    name: str


class WaitingRow(NamedTuple):
    """A waiting item as the caseload and overdue lists show it: the columns they print, read
    as plain values (no entities, no JSON content), with its clock and whether an IQA reopened
    the decision that had stood on it. `assessor` is only read for the overdue list. (A tuple:
    a page makes fifty.)"""

    submission_id: int
    evidence_id: int
    title: str
    number: int
    submitted_at: datetime
    learner: Named
    element_title: str
    assessor: Named | None
    clock: Clock
    reopened: bool


@dataclass(frozen=True)
class QueueFilter:
    """What a list of waiting items is narrowed to; None or "" is no filter. `group` is a
    learner group id, or NO_GROUP for learners in none; `late_by` is working days overdue."""

    assessor_id: int | None = None
    unassigned: bool = False  # learners with no assessor (the overdue list)
    learner: str = ""  # part of the learner's name
    element_id: str | None = None
    type_id: str | None = None
    state: ClockState | None = None
    group: int | str | None = None
    late_by: int | None = None


NO_GROUP = "none"
_Learner = aliased(User, name="learner")
_Assessor = aliased(User, name="assessor")

# An assessor's waiting items and learner counts are read learner by learner: by learner,
# status and clock, so the counts never visit the evidence table. Declared here, beside the
# queries that need it (as iqa/models.py does for the decision table).
Index(
    "ix_evidence_learner_status",
    Evidence.learner_id,
    Evidence.status,
    Evidence.awaiting_since,
)


_Newer = aliased(Submission, name="newer")
# The number of each evidence's latest submission (correlated to Evidence), built once.
_LATEST_NUMBER = (
    select(func.max(_Newer.number)).where(_Newer.evidence_id == Evidence.id).scalar_subquery()
)


def _latest_number() -> Any:
    return _LATEST_NUMBER


class _Likely(FunctionElement[bool]):
    """A condition SQLite's planner is told is usually true (likely(X) there; X as it is
    elsewhere), so it does not take an index on it for a selective one."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a test itself: never written "likely(...) = 1"


@compiles(_Likely)
def _likely(element: _Likely, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(_Likely, "sqlite")
def _likely_sqlite(element: _Likely, compiler: Any, **kw: Any) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"


def _waiting_from(query: Select[Any], where: QueueFilter, cut: Cutoffs) -> Select[Any]:
    """`query` (from Submission) narrowed to the items waiting for a decision (each evidence's
    latest submission, its learner joined as _Learner) and by `where`; unordered."""
    waiting: ColumnElement[bool] = Evidence.status == EvidenceStatus.SUBMITTED
    if where.assessor_id is not None:
        # One assessor's items are found from their learners (_narrowed). Without statistics
        # SQLite takes "status = 'submitted'" for a selective test and, as the lists' order is
        # ix_evidence_status_awaiting_since_id's, walks every waiting item of the centre in
        # that order to find the assessor's (5-6 ms a page at the large centre, against 0.45).
        waiting = _Likely(waiting)
    query = (
        query.join(Evidence, Submission.evidence_id == Evidence.id)
        .join(_Learner, Evidence.learner_id == _Learner.id)
        .where(waiting, Submission.number == _latest_number())
    )
    return _narrowed(query, where, cut)


def _waiting(where: QueueFilter, cut: Cutoffs) -> Select[Any]:
    """Items waiting for a decision (their latest submission, learner and element loaded),
    narrowed by `where`; unordered."""
    return _waiting_from(select(Submission), where, cut).options(
        contains_eager(Submission.evidence).contains_eager(Evidence.learner.of_type(_Learner)),
        contains_eager(Submission.evidence).joinedload(Evidence.element),
    )


# Whether an IQA reopened a decision on the submission (the decision index on submission_id).
_REOPENED = (
    select(Decision.id)
    .where(Decision.submission_id == Submission.id, Decision.superseded_at.is_not(None))
    .exists()
    .label("reopened")
)


def _waiting_rows(where: QueueFilter, cut: Cutoffs, *, assessor: bool = False) -> Select[Any]:
    """The rows of _waiting(where, cut), oldest clock first: only the columns the lists show
    (with the learner's assessor when `assessor`), and whether a decision was reopened."""
    columns: list[Any] = [
        Submission.id,
        Submission.evidence_id,
        Submission.title,
        Submission.number,
        Submission.submitted_at,
        Evidence.awaiting_since,
        _Learner.id.label("learner_id"),
        _Learner.name.label("learner_name"),
        Element.title.label("element_title"),
        _REOPENED,
    ]
    if assessor:
        columns += [_Assessor.id.label("assessor_id"), _Assessor.name.label("assessor_name")]
    query = _waiting_from(select(*columns).select_from(Submission), where, cut).join(
        Element, Evidence.element_id == Element.id
    )
    if assessor:
        query = query.outerjoin(_Assessor, _Learner.assessor_id == _Assessor.id)
    return _oldest_first(query)


_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])


def _narrowed(query: _Q, where: QueueFilter, cut: Cutoffs) -> _Q:
    if where.assessor_id is not None:
        # The same rows; the IN lets the database start from the assessor's few learners
        # (ix_evidence_learner_status) rather than from every waiting item of the centre.
        query = query.where(
            _Learner.assessor_id == where.assessor_id,
            Evidence.learner_id.in_(select(User.id).where(User.assessor_id == where.assessor_id)),
        )
    if where.unassigned:
        query = query.where(_Learner.assessor_id.is_(None))
    if where.learner:
        query = query.where(name_matches(_Learner.name, where.learner))
    if where.element_id:
        query = query.where(Evidence.element_id == where.element_id)
    if where.type_id:
        query = query.where(Evidence.type_id == where.type_id)
    if where.state is not None:
        query = query.where(in_state(where.state, cut))
    if where.group == NO_GROUP:
        query = query.where(_Learner.cohort_id.is_(None))
    elif isinstance(where.group, int):
        query = query.where(_Learner.cohort_id == where.group)
    if where.late_by is not None:
        query = query.where(Evidence.awaiting_since < cut.late_by(where.late_by))
    return query


def name_matches(column: Any, text: str) -> ColumnElement[bool]:
    """Every word of `text` somewhere in the name, ignoring case (the same on both databases)."""
    words = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in text.split()]
    if not words:
        return ~false()
    return and_(*(func.lower(column).like(f"%{w.lower()}%", escape="\\") for w in words))


def _oldest_first(query: Select[Any]) -> Select[Any]:
    # Oldest clock first: by due date, the same as by submission date except that a reopened
    # item takes its place by its reopening; ties by item. The order of the index
    # ix_evidence_status_awaiting_since_id, so a page is read from it in order and stops
    # (PostgreSQL sorted every overdue item of the centre for a tie-break on submission).
    return query.order_by(Evidence.awaiting_since, Evidence.id)


def reopened_decisions(submission_ids: Sequence[int]) -> dict[int, Decision]:
    """The most recently superseded decision of each of these submissions, if any."""
    if not submission_ids:
        return {}
    rows = db.session.scalars(reopened_query(submission_ids))
    return {d.submission_id: d for d in rows}  # the latest wins


def reopened_query(submission_ids: Sequence[int]) -> Select[Decision]:
    return (
        select(Decision)
        .where(Decision.submission_id.in_(submission_ids), Decision.superseded_at.is_not(None))
        .order_by(Decision.superseded_at)
    )


def _items(submissions: Sequence[Submission], on: date | None) -> list[QueueItem]:
    """The clock of each submission, in the order given (one more query, for reopenings)."""
    reopened = reopened_decisions([s.id for s in submissions])
    items = []
    for submission in submissions:
        started = submission.evidence.awaiting_since or submission.submitted_at
        items.append(QueueItem(submission, _clock(started, on), reopened.get(submission.id)))
    return items


def _rows(found: Sequence[Any], on: date, *, assessor: bool = False) -> list[WaitingRow]:
    """The rows of _waiting_rows (with the assessor's columns when `assessor`) with their
    clocks, in the order given."""
    days, dates = turnaround_days(), holidays()
    rows = []
    # Unpacked by position (the columns' order in _waiting_rows): a Row's attributes are
    # looked up by name, ten of them on each of a page's fifty rows.
    for r in found:
        sid, eid, title, number, submitted, started, learner_id, learner, element, reopened = r[:10]
        clock = _clock_on(local_date(started or submitted), on, days, dates)
        owner = Named(r[10], r[11]) if assessor and r[10] is not None else None
        rows.append(
            WaitingRow(
                sid,
                eid,
                title,
                number,
                submitted,
                Named(learner_id, learner),
                element,
                owner,
                clock,
                bool(reopened),
            )
        )
    return rows


def queue_item(submission: Submission, on: date | None = None) -> QueueItem | None:
    """This submission as it stands in the queue, or None when it is not waiting."""
    evidence = submission.evidence
    if evidence.status is not EvidenceStatus.SUBMITTED or evidence.latest is not submission:
        return None
    return _items([submission], on)[0]


def queue_page(where: QueueFilter, asked: PageArg, on: date | None = None) -> Paged[WaitingRow]:
    """One page of waiting items, oldest clock first, with the whole list counted in SQL:
    two statements (count, page) whatever the size of the centre."""
    cut = cutoffs(on)
    return _queue_page(where, asked, cut, _waiting_count(where, cut))


def _queue_page(
    where: QueueFilter,
    asked: PageArg,
    cut: Cutoffs,
    total: int,
    size: int = PAGE_SIZE,
    *,
    assessor: bool = False,
) -> Paged[WaitingRow]:
    number, message = page_number(asked, total, size)
    found = _connection().execute(_rows_page(where, cut, assessor, number, size)).all()
    return Paged(_rows(found, cut.on, assessor=assessor), total, number, size, message)


@_remembered
def _rows_page(
    where: QueueFilter, cut: Cutoffs, assessor: bool, number: int, size: int
) -> Select[Any]:
    return _waiting_rows(where, cut, assessor=assessor).offset((number - 1) * size).limit(size)


def queue_and_counts(
    where: QueueFilter, asked: PageArg, on: date | None = None
) -> tuple[Paged[WaitingRow], dict[ClockState, int]]:
    """queue_page and state_counts together, the page's total taken from the counts (their
    sum, or the count of the state filtered by): two statements, not three. (An item whose
    clock never started counts as on time but is not listed under it, so that filter counts.)"""
    cut = cutoffs(on)
    counts = _state_counts(where, cut)
    if where.state is None:
        total = sum(counts.values())
    elif where.state is ClockState.ON_TIME:
        total = _waiting_count(where, cut)
    else:
        total = counts[where.state]
    return _queue_page(where, asked, cut, total), counts


def overdue_page(
    where: QueueFilter, asked: PageArg, on: date | None = None, size: int = PAGE_SIZE
) -> Paged[WaitingRow]:
    """One page of the items past their due date, most overdue first (the IQAs' list), each
    with its learner's assessor (None: nobody is assigned)."""
    cut = cutoffs(on)
    overdue = replace(where, state=ClockState.OVERDUE)
    total = _waiting_count(overdue, cut)
    return _queue_page(overdue, asked, cut, total, size, assessor=True)


def state_counts(where: QueueFilter, on: date | None = None) -> dict[ClockState, int]:
    """How many of the filtered waiting items are in each turnaround state (the state filter
    itself aside), in one GROUP BY."""
    return _state_counts(where, cutoffs(on))


def _state_counts(where: QueueFilter, cut: Cutoffs) -> dict[ClockState, int]:
    found = {ClockState(s): n for s, n in _connection().execute(_state_counts_query(where, cut))}
    return {s: found.get(s, 0) for s in ClockState}


@_remembered
def _state_counts_query(where: QueueFilter, cut: Cutoffs) -> Select[*tuple[Any, ...]]:
    unstated = replace(where, state=None)
    state = state_of(cut).label("state")
    query = (
        select(state, func.count())
        .select_from(Evidence)
        .where(Evidence.status == EvidenceStatus.SUBMITTED)
        .group_by(state)
    )
    if _by_learner(unstated):
        query = query.join(_Learner, Evidence.learner_id == _Learner.id)
    return _narrowed(query, unstated, cut)


def waiting_count(where: QueueFilter, on: date | None = None) -> int:
    """How many items wait, filtered: one statement."""
    return _waiting_count(where, cutoffs(on))


def _by_learner(where: QueueFilter) -> bool:
    """Whether `where` narrows by something of the learner's (else the learner is not joined)."""
    return bool(
        where.assessor_id is not None
        or where.unassigned
        or where.learner
        or where.group == NO_GROUP
        or isinstance(where.group, int)
    )


def _waiting_count(where: QueueFilter, cut: Cutoffs) -> int:
    """How many items _waiting(where, cut) lists, counted on the evidence alone (a waiting item
    is its evidence's latest submission: one per submitted evidence), the learner joined only
    to filter by; unfiltered, SQLite counts from the (status, awaiting_since) index alone."""
    return _connection().scalar(_waiting_count_query(where, cut)) or 0


@_remembered
def _waiting_count_query(where: QueueFilter, cut: Cutoffs) -> Select[Any]:
    query = (
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.status == EvidenceStatus.SUBMITTED)
    )
    if _by_learner(where):
        query = query.join(_Learner, Evidence.learner_id == _Learner.id)
    return _narrowed(query, where, cut)


def queue_items(assessor: User, on: date | None = None) -> list[QueueItem]:
    """Every one of this assessor's learners' submissions awaiting a decision, with its clock,
    oldest first. (The pages read a page at a time with queue_page.)"""
    cut = cutoffs(on)
    query = _oldest_first(_waiting(QueueFilter(assessor_id=assessor.id), cut))
    return _items(db.session.scalars(query).unique().all(), cut.on)


def overdue_decisions(on: date | None = None) -> list[QueueItem]:
    """Every item past its due date, across all assessors, the most overdue first.
    `item.learner.assessor` is whose it is (None: nobody is assigned). (The pages read a
    page at a time with overdue_page.)"""
    cut = cutoffs(on)
    query = _oldest_first(_waiting(QueueFilter(state=ClockState.OVERDUE), cut))
    return _items(db.session.scalars(query).unique().all(), cut.on)


def expected_decision(evidence: Evidence) -> date | None:
    """When the learner can expect a decision on this item: its due date while it waits for
    one, else None."""
    latest = evidence.latest
    if evidence.status is not EvidenceStatus.SUBMITTED or latest is None:
        return None
    return _clock(evidence.awaiting_since or latest.submitted_at, None).due


@dataclass(frozen=True)
class LearnerLoad:
    """One learner on an assessor's caseload, with their items counted."""

    learner: Named
    waiting: int
    overdue: int
    referred: int
    accepted: int


def _count_where(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def learner_loads(assessor: User, asked: PageArg, on: date | None = None) -> Paged[LearnerLoad]:
    """A page of the assessor's learners by name (id and name alone), each with their items
    counted by status and clock, and how many learners they have beside each row (count(*)
    OVER ()): one statement for a page that exists; a page past the end reads the first again
    and says so, as paginate does."""
    cut = cutoffs(on)
    number, message = asked.number, asked.message
    connection = _connection()
    found = connection.execute(_learner_loads_query(assessor.id, cut, number, PAGE_SIZE)).all()
    if not found and number > 1:
        found = connection.execute(_learner_loads_query(assessor.id, cut, 1, PAGE_SIZE)).all()
        number, message = 1, f"There is no page {number}: showing the first page."
    return Paged(
        [LearnerLoad(Named(i, n), int(w), int(o), int(r), int(a)) for i, n, w, o, r, a, _ in found],
        int(found[0].learners) if found else 0,
        number,
        PAGE_SIZE,
        message,
    )


@_remembered
def _learner_loads_query(assessor_id: int, cut: Cutoffs, number: int, size: int) -> Select[Any]:
    """Each learner's items counted by status (and clock) with one look-up of the (learner,
    status, clock start) index apiece, rather than every item of theirs read and summed."""

    def items(status: EvidenceStatus, *also: ColumnElement[bool]) -> Any:
        return (
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.learner_id == User.id, Evidence.status == status, *also)
            .scalar_subquery()
        )

    return (
        select(
            User.id,
            User.name,
            items(EvidenceStatus.SUBMITTED).label("waiting"),
            items(EvidenceStatus.SUBMITTED, Evidence.awaiting_since < cut.overdue).label("overdue"),
            items(EvidenceStatus.REFERRED).label("referred"),
            items(EvidenceStatus.ACCEPTED).label("accepted"),
            func.count().over().label("learners"),
        )
        .where(User.assessor_id == assessor_id)
        .order_by(User.name, User.id)
        # Written into the SQL, not bound: PostgreSQL's generic plan for a prepared statement
        # (psycopg prepares one after its fifth run) guesses LIMIT $1 keeps a tenth of the rows,
        # and walks the name index past every user of the centre rather than sorting the
        # assessor's few learners (about 2x the time at the large centre).
        .offset(bindparam("offset", (number - 1) * size, literal_execute=True))
        .limit(bindparam("limit", size, literal_execute=True))
    )


def caseload_summary(
    assessor: User, items: Sequence[QueueItem] | None = None, on: date | None = None
) -> list[LearnerLoad]:
    """Every one of the assessor's learners by name, counted. With `items` (their queue, from
    queue_items) waiting and overdue are counted from those clocks, as they always were;
    without, everything is counted in the database (the queue page reads a page at a time
    with learner_loads)."""
    found: list[LearnerLoad] = []
    number = 1
    while True:
        page = learner_loads(assessor, PageArg(number), on)
        found += page.items
        if not page.has_next:
            break
        number += 1
    if items is None:
        return found
    return [
        replace(
            load,
            waiting=sum(1 for i in items if i.learner.id == load.learner.id),
            overdue=sum(
                1
                for i in items
                if i.learner.id == load.learner.id and i.clock.state is ClockState.OVERDUE
            ),
        )
        for load in found
    ]


@dataclass(frozen=True)
class AssessorLoad:
    """One assessor's caseload and the work waiting for them, by clock."""

    assessor: Named
    learners: int
    waiting: int
    due_soon: int
    overdue: int


def assessor_loads(asked: PageArg, on: date | None = None) -> Paged[AssessorLoad]:
    """A page of the assessors by name with their learners and waiting items counted, each
    count one GROUP BY over the whole centre (id and name alone of each assessor): two
    statements (count, page) however many assessors."""
    cut = cutoffs(on)
    waiting = (
        select(
            _Learner.assessor_id.label("assessor_id"),
            func.count().label("waiting"),
            _count_where(in_state(ClockState.DUE_SOON, cut)).label("due_soon"),
            _count_where(Evidence.awaiting_since < cut.overdue).label("overdue"),
        )
        .select_from(Evidence)
        .join(_Learner, Evidence.learner_id == _Learner.id)
        .where(Evidence.status == EvidenceStatus.SUBMITTED)
        .group_by(_Learner.assessor_id)
        .subquery()
    )
    caseloads = (
        select(_Learner.assessor_id.label("assessor_id"), func.count().label("learners"))
        .where(_Learner.assessor_id.is_not(None))
        .group_by(_Learner.assessor_id)
        .subquery()
    )
    query = (
        select(
            User.id,
            User.name,
            func.coalesce(caseloads.c.learners, 0),
            func.coalesce(waiting.c.waiting, 0),
            func.coalesce(waiting.c.due_soon, 0),
            func.coalesce(waiting.c.overdue, 0),
        )
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.ASSESSOR))
        .outerjoin(caseloads, caseloads.c.assessor_id == User.id)
        .outerjoin(waiting, waiting.c.assessor_id == User.id)
        .order_by(User.name, User.id)
    )
    # Counted without the two GROUP BYs (outer joins of one row per assessor: the same number).
    total = db.session.scalar(
        select(func.count()).select_from(UserRole).where(UserRole.role == Role.ASSESSOR)
    )
    page = paginate(query, asked, scalars=False, total=total or 0)  # type: ignore[arg-type]
    return Paged(
        [
            AssessorLoad(Named(i, name), int(n), int(w), int(s), int(o))
            for i, name, n, w, s, o in page.items
        ],
        page.total,
        page.number,
        page.size,
        page.message,
    )


def unassigned_waiting(on: date | None = None) -> int:
    """Items waiting from learners with no assessor: nobody's queue holds them."""
    return waiting_count(QueueFilter(unassigned=True), on)


def assessors() -> Sequence[User]:
    """Every assessor by name, for the filters of the IQAs' lists (a centre has tens). Their
    roles are not read with them: the filters show names, and one more statement over every
    assessor's roles cost more than the list itself."""
    return db.session.scalars(
        select(User)
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.ASSESSOR))
        .order_by(User.name, User.id)
        .options(lazyload(User.roles))
    ).all()
