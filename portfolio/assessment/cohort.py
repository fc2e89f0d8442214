"""The cohort matrix: a group of learners against every element's marking points, read in a
fixed number of queries however many learners it holds; and choosing whose learners it shows."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Result,
    Select,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from portfolio.assessment import centre_tally, tracking
from portfolio.assessment.caseload import name_matches
from portfolio.assessment.models import ElementSignOff, PointMet, PointUnderWay
from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.core.paging import PageArg, Paged, count, paginate
from portfolio.core.tables import Cell, Heading, Row, Table
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element, MarkingPoint


class Scope(enum.StrEnum):
    MINE = "mine"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"mine": "My learners", "all": "All learners"}[self.value]


def scopes_for(viewer: User) -> tuple[Scope, ...]:
    """Whose learners the viewer may look at, their default first: an assessor their own
    caseload; an IQA or admin everyone's."""
    found = []
    if viewer.has_role(Role.ASSESSOR):
        found.append(Scope.MINE)
    if viewer.has_role(Role.IQA, Role.ADMIN):
        found.append(Scope.ALL)
    return tuple(found)


# Rows fetched at a time from each of the whole-centre CSV's cursors (memory holds about
# this many rows of each, however many learners there are).
BATCH = 500

# The group filter: None for every group, NO_GROUP for learners in none, else a Cohort.
NO_GROUP = "none"


@dataclass(frozen=True)
class CohortFilter:
    """Which learners the matrix shows: whose (scope), which learner group, and optionally
    one assessor's (IQAs and admins, with every learner), part of a name, and one element."""

    scope: Scope
    group: Cohort | str | None = None
    assessor_id: int | None = None
    name: str = ""
    element_id: str | None = None

    @property
    def narrowed(self) -> bool:
        """Narrowed beyond scope and group (what the cohort export takes)."""
        return bool(self.assessor_id is not None or self.name)


def learners_query(viewer: User, where: CohortFilter) -> Select[User] | None:
    """The learners in the matrix, by name, as a query; None when the viewer does not have
    the scope asked for (they see nobody)."""
    if where.scope not in scopes_for(viewer):
        return None
    query = select(User).join(
        UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.LEARNER)
    )
    if where.scope is Scope.MINE:
        query = query.where(User.assessor_id == viewer.id)
    elif where.assessor_id is not None:
        query = query.where(User.assessor_id == where.assessor_id)
    if isinstance(where.group, Cohort):
        query = query.where(User.cohort_id == where.group.id)
    elif where.group == NO_GROUP:
        query = query.where(User.cohort_id.is_(None))
    if where.name:
        query = query.where(name_matches(User.name, where.name))
    return query.order_by(User.name, User.id)


def cohort_learners(viewer: User, scope: Scope, group: Cohort | str | None) -> list[User]:
    """The learners in the matrix, by name. A scope the viewer does not have yields nobody.
    (Whole lists, for the cohort export; the page reads a page at a time.)"""
    query = learners_query(viewer, CohortFilter(scope, group))
    return [] if query is None else list(db.session.scalars(query))


def learner_page(viewer: User, where: CohortFilter, asked: PageArg) -> Paged[Learner]:
    """One page of the matrix's learners (their ids and names: all a row shows), counted in
    SQL."""
    query = learners_query(viewer, where)
    if query is None:
        return Paged([], 0)
    rows = cast("Select[Any]", query.with_only_columns(User.id, User.name))
    found = paginate(rows, asked, scalars=False)
    return replace(found, items=[LearnerRef(i, name) for i, name in found.items])


def learner_count(viewer: User, where: CohortFilter) -> int:
    query = learners_query(viewer, where)
    return 0 if query is None else count(query)


class Learner(Protocol):
    """What a matrix row shows of its learner: a User, or the id and name a CSV cursor read."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class LearnerRef:
    id: int
    name: str


@dataclass(frozen=True)
class CohortRow:
    learner: Learner
    cells: tuple[tracking.Progress, ...]
    # "Signed off by ... on ...", when the element is signed off for this learner.
    signed_off: str | None

    @property
    def met_count(self) -> int:
        return sum(c is tracking.Progress.MET for c in self.cells)

    @property
    def complete(self) -> bool:
        return bool(self.cells) and self.met_count == len(self.cells)

    @property
    def sign_off_text(self) -> str:
        if self.signed_off is not None:
            return self.signed_off
        return "Complete, not yet signed off" if self.complete else "Not yet complete"


@dataclass(frozen=True)
class ElementTotals:
    """An element counted over every learner the matrix is filtered to, not just the rows
    drawn: how many there are, how many met each point, are complete and are signed off."""

    learners: int
    met: Mapping[str, int]
    complete: int
    signed: int


@dataclass(frozen=True)
class CohortElement:
    element: Element
    points: tuple[MarkingPoint, ...]
    rows: tuple[CohortRow, ...]
    # Counted in SQL over the whole filtered set; without them, the rows are the whole set.
    totals: ElementTotals | None = None

    def met_by(self, index: int) -> int:
        if self.totals is not None:
            return self.totals.met.get(self.points[index].id, 0)
        return sum(r.cells[index] is tracking.Progress.MET for r in self.rows)

    @property
    def counted(self) -> ElementTotals:
        if self.totals is not None:
            return self.totals
        return ElementTotals(
            len(self.rows),
            {},
            sum(r.complete for r in self.rows),
            sum(r.signed_off is not None for r in self.rows),
        )

    @property
    def caption(self) -> str:
        t = self.counted
        return (
            f"{self.element.title}: {t.complete} of {t.learners} learners have met every "
            f"marking point, {t.signed} signed off"
        )

    @property
    def columns(self) -> tuple[Heading, ...]:
        return (
            Heading("Learner"),
            *(Heading(p.id) for p in self.points),
            Heading("Points met"),
            Heading("Sign-off"),
        )

    def row(self, r: CohortRow) -> Row:
        """One learner's row: the screen's and the CSV's alike."""
        return Row(
            Heading(
                r.learner.name, endpoint="assessment.learner", args=(("learner_id", r.learner.id),)
            ),
            (
                *(c.cell for c in r.cells),
                Cell(f"{r.met_count} of {len(self.points)}"),
                Cell(r.sign_off_text),
            ),
        )

    @property
    def foot(self) -> tuple[Row, ...]:
        t = self.counted
        return (
            Row(
                Heading("Learners who have met it"),
                (
                    *(Cell(f"{self.met_by(i)} of {t.learners}") for i in range(len(self.points))),
                    Cell(f"{t.complete} of {t.learners} complete"),
                    Cell(f"{t.signed} signed off"),
                ),
            ),
        )

    @property
    def table(self) -> Table:
        return Table(
            caption=self.caption,
            columns=self.columns,
            rows=tuple(self.row(r) for r in self.rows),
            foot=self.foot,
        )


@dataclass(frozen=True)
class CohortMatrix:
    learners: tuple[User, ...]
    elements: tuple[CohortElement, ...]

    @property
    def tables(self) -> list[Table]:
        return [e.table for e in self.elements]


# A point's progress as kept (portfolio/assessment/progress.py): met, or under way; a point in
# neither table is not started.
_MET, _UNDER_WAY = "met", "in_progress"
_PROGRESS = {_MET: tracking.Progress.MET, _UNDER_WAY: tracking.Progress.IN_PROGRESS}


def _kept_progress(learner_ids: Any, element_ids: Sequence[str]) -> CompoundSelect[Any]:
    """(learner_id, element_id, marking_point_id, state) of these learners' (a list or a
    subquery of ids) met and under-way points of these elements: one statement reading the
    two kept tables through their primary keys."""
    return union_all(
        *(
            select(
                table.learner_id,
                table.element_id,
                table.marking_point_id,
                literal(state).label("state"),
            ).where(table.learner_id.in_(learner_ids), table.element_id.in_(element_ids))
            for table, state in ((PointMet, _MET), (PointUnderWay, _UNDER_WAY))
        )
    )


def _row(
    learner: Learner,
    points: Sequence[MarkingPoint],
    states: Mapping[str, str],
    signed_off: str | None,
) -> CohortRow:
    """One learner against one element's points, from their kept states by point id."""
    # A list first: tuple() of a generator grows and resizes, which leaves CPython's tuple
    # free lists full of the final size and the CSV's memory looking as if it grew.
    cells = tuple(
        [_PROGRESS.get(states.get(p.id, ""), tracking.Progress.NOT_STARTED) for p in points]
    )
    return CohortRow(learner, cells, signed_off)


def _elements(element_id: str | None) -> list[Element]:
    elements = qualifications.list_elements()
    return [e for e in elements if element_id is None or e.id == element_id]


def matrix_elements(
    learners: Sequence[Learner],
    elements: Sequence[Element],
    points: Mapping[str, Sequence[MarkingPoint]],
    totals: Mapping[str, ElementTotals] | None = None,
) -> tuple[CohortElement, ...]:
    """These learners' rows of each element: two statements however many."""
    ids = [learner.id for learner in learners]
    states: dict[tuple[int, str], dict[str, str]] = defaultdict(dict)
    if ids:
        kept = _kept_progress(ids, [e.id for e in elements])
        for learner_id, element_id, point_id, state in db.session.execute(kept):
            states[learner_id, element_id][point_id] = state
    signed = tracking.sign_off_texts(ids) if ids else {}
    found = []
    for element in elements:
        element_points = tuple(points.get(element.id, []))
        rows = tuple(
            _row(
                learner,
                element_points,
                states.get((learner.id, element.id), {}),
                signed.get((learner.id, element.id)),
            )
            for learner in learners
        )
        found.append(
            CohortElement(element, element_points, rows, totals.get(element.id) if totals else None)
        )
    return tuple(found)


def cohort_matrix(learners: Sequence[User]) -> CohortMatrix:
    """Learners against every element's live marking points: met by a standing decision, in
    progress (claimed, not yet met, or awaiting countersignature) or not started; as the
    learner's own tracking grid reads them."""
    if not learners:
        return CohortMatrix((), ())
    elements = matrix_elements(learners, _elements(None), tracking.live_points_by_element())
    return CohortMatrix(tuple(learners), elements)


def _signed(ids: Any, elements: Sequence[Element]) -> dict[str, int]:
    """Learners (of the `ids` subquery) signed off, by element."""
    return dict(
        db.session.execute(
            select(ElementSignOff.element_id, func.count())
            .where(
                ElementSignOff.learner_id.in_(ids),
                ElementSignOff.element_id.in_([e.id for e in elements]),
            )
            .group_by(ElementSignOff.element_id)
        ).all()
    )


def element_totals(
    viewer: User,
    where: CohortFilter,
    learners: int,
    elements: Sequence[Element],
    points: Mapping[str, Sequence[MarkingPoint]],
) -> dict[str, ElementTotals]:
    """Each element counted over every learner the filter selects, in two statements whatever
    their number: learners who met each point and who met every point (GROUP BY over the
    kept met points, read once), and who are signed off."""
    query = learners_query(viewer, where)
    if query is None or not learners or not elements:
        return {}
    ids = query.with_only_columns(User.id).order_by(None)
    everyone = (
        where.scope is Scope.ALL
        and where.group is None
        and where.assessor_id is None
        and not where.name
    )
    kept = centre_tally.totals(points) if everyone else None
    if kept is not None:
        # Every learner of the centre: the kept tallies, not a count over their met points.
        signed = _signed(ids, elements)
        return {
            e.id: ElementTotals(
                learners,
                {p.id: kept.met.get(p.id, 0) for p in points.get(e.id, [])},
                kept.complete.get(e.id, 0),
                signed.get(e.id, 0),
            )
            for e in elements
        }
    live_ids = [p.id for e in elements for p in points.get(e.id, [])]
    # Each learner's kept met points (point_met: a few rows a learner, read through its
    # primary key by learner), counted in one pass per figure. The live points are picked
    # while counting, not as a key of the index: a list of points in the index search would
    # probe it once for every learner, element and point.
    mine: list[ColumnElement[bool]] = [PointMet.learner_id.in_(ids)]
    if where.element_id is not None:
        mine.append(PointMet.element_id == where.element_id)
    per_learner = (
        select(
            PointMet.element_id,
            func.sum(case((PointMet.marking_point_id.in_(live_ids), 1), else_=0)).label("met"),
        )
        .where(*mine)
        .group_by(PointMet.learner_id, PointMet.element_id)
        .subquery()
    )
    # One statement: (point, None, learners who met it), then (element, live points met,
    # learners who met that many). Retired points' counts are read and not shown.
    counted = union_all(
        select(PointMet.marking_point_id, literal(None, Integer), func.count())
        .where(*mine)
        .group_by(PointMet.marking_point_id),
        select(per_learner.c.element_id, per_learner.c.met, func.count()).group_by(
            per_learner.c.element_id, per_learner.c.met
        ),
    )
    per_point: dict[str, int] = {}
    complete: dict[str, int] = defaultdict(int)
    live = {e.id: len(points.get(e.id, [])) for e in elements}
    for key, met_count, n in db.session.execute(counted):
        if met_count is None:
            per_point[key] = n
        elif live.get(key) and met_count == live[key]:
            complete[key] += n
    signed = _signed(ids, elements)
    return {
        e.id: ElementTotals(
            learners,
            {p.id: per_point.get(p.id, 0) for p in points.get(e.id, [])},
            complete[e.id],
            signed.get(e.id, 0),
        )
        for e in elements
    }


@dataclass(frozen=True)
class CohortPage:
    """A page of the matrix: its learners (paged), and each element's rows for them with the
    totals of the whole filtered set."""

    learners: Paged[Learner]
    elements: tuple[CohortElement, ...]

    @property
    def tables(self) -> list[Table]:
        return [e.table for e in self.elements]


def cohort_page(viewer: User, where: CohortFilter, asked: PageArg) -> CohortPage:
    """One page of learners against the marking points: a fixed number of statements
    whatever the size of the centre or of the page."""
    learners = learner_page(viewer, where, asked)
    elements = _elements(where.element_id)
    points = tracking.live_points_by_element()
    totals = element_totals(viewer, where, learners.total, elements, points)
    rows = matrix_elements(learners.items, elements, points, totals) if learners.items else ()
    return CohortPage(learners, rows)


class _Ordered:
    """The rows of one cursor ordered as the CSV's learners are, taken a learner at a time:
    a merge join on (element, learner) keys, so only the cursor's buffer is ever held.

    The keys are only compared for equality: every cursor sorts by the same SQL expressions,
    so each one's keys come in the order of the learners' (which need not be Python's
    string order under a database collation)."""

    def __init__(self, rows: Iterator[Any], key: slice) -> None:
        self._rows = rows
        self._key = key
        self._head = next(self._rows, None)

    def take(self, key: tuple[str, int]) -> list[Any]:
        found = []
        while self._head is not None and tuple(self._head[self._key]) == key:
            found.append(self._head)
            self._head = next(self._rows, None)
        return found


def _streamed(query: Select[*tuple[Any, ...]], size: int) -> Result[*tuple[Any, ...]]:
    """A query read `size` rows at a time: a server-side cursor on PostgreSQL (several may be
    open at once in one transaction), SQLite's own stepping through its rows."""
    return db.session.execute(query.execution_options(stream_results=True, yield_per=size))


def _matrix_rows(
    viewer: User, where: CohortFilter, elements: Sequence[Element], size: int
) -> Generator[tuple[str, Learner, dict[str, str], str | None]]:
    """Every (element, learner) of the matrix in the CSV's order (elements as listed, then
    learners by name), with the learner's kept point states of the element and its sign-off:
    three statements, each run once over the whole filtered set and read through a cursor
    `size` rows at a time, merged here learner by learner. The cursors are closed when this
    generator ends or is closed (a download finished or abandoned)."""
    query = learners_query(viewer, where)
    if query is None or not elements:
        return
    ids = [e.id for e in elements]
    chosen = query.with_only_columns(User.id, User.name).order_by(None).subquery("chosen")

    def order(element_id: Any) -> tuple[ColumnElement[Any], ...]:
        # The elements in their listed order, then the learners as the page sorts them.
        rank = case({e: n for n, e in enumerate(ids)}, value=element_id, else_=len(ids))
        return (rank, chosen.c.name, chosen.c.id)

    kept = _kept_progress(select(chosen.c.id), ids).subquery("kept")
    assessor = aliased(User, name="assessor")
    queries: tuple[Select[*tuple[Any, ...]], ...] = (
        select(Element.id, chosen.c.id, chosen.c.name)
        .select_from(chosen)
        .join(Element, Element.id.in_(ids))
        .order_by(*order(Element.id)),
        select(kept.c.marking_point_id, kept.c.state, kept.c.element_id, kept.c.learner_id)
        .join(chosen, chosen.c.id == kept.c.learner_id)
        .order_by(*order(kept.c.element_id)),
        select(
            assessor.name,
            ElementSignOff.signed_at,
            ElementSignOff.element_id,
            ElementSignOff.learner_id,
        )
        .join(chosen, chosen.c.id == ElementSignOff.learner_id)
        .join(assessor, assessor.id == ElementSignOff.assessor_id)
        .where(ElementSignOff.element_id.in_(ids))
        .order_by(*order(ElementSignOff.element_id)),
    )
    results: list[Result[*tuple[Any, ...]]] = []
    try:
        for q in queries:
            results.append(_streamed(q, size))
        everyone, *rest = results
        states, signed = (_Ordered(iter(r), slice(-2, None)) for r in rest)
        for element_id, learner_id, name in everyone:
            key = (element_id, learner_id)
            mine = {point_id: state for point_id, state, *_ in states.take(key)}
            sign_off = next(iter(signed.take(key)), None)
            text = None if sign_off is None else tracking.sign_off_text(*sign_off[:2])
            yield element_id, LearnerRef(learner_id, name), mine, text
    finally:
        for result in results:
            result.close()


def csv_lines(
    viewer: User, where: CohortFilter, title: str, batch: int | None = None
) -> Iterator[list[str]]:
    """The whole matrix as CSV lines, the page's tables line for line (caption, headings, a
    row per learner, the foot). A fixed number of statements however many learners: the
    totals, then each query the rows need run once and read through a cursor `batch` rows
    at a time (memory holds those rows, not the centre)."""
    yield [title]
    learners = learner_count(viewer, where)
    if not learners:
        return
    elements = _elements(where.element_id)
    points = tracking.live_points_by_element()
    totals = element_totals(viewer, where, learners, elements, points)
    rows = _matrix_rows(viewer, where, elements, batch or BATCH)
    try:
        ahead = next(rows, None)
        for element in elements:
            part = CohortElement(element, tuple(points.get(element.id, [])), (), totals[element.id])
            yield []
            yield [part.caption]
            yield [c.text for c in part.columns]
            while ahead is not None and ahead[0] == element.id:
                _, learner, states, signed_off = ahead
                yield part.row(_row(learner, part.points, states, signed_off)).texts
                ahead = next(rows, None)
            for foot in part.foot:
                yield foot.texts
    finally:
        rows.close()
