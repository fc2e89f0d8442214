"""Tracking: one learner's marking points against their evidence, and a group of learners
against the marking points, read from live decisions only; each drawn as tables that the page
and its CSV share."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import (
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from portfolio.assessment.models import (
    Decision,
    ElementSignOff,
    PointDecision,
    PointMet,
    PointStatus,
    PointUnderWay,
)
from portfolio.auth.models import User
from portfolio.core.localtime import format_london_date
from portfolio.core.tables import Cell, Heading, Row, Table
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission, submission_claim
from portfolio.extensions import db
from portfolio.qualifications.models import Element, MarkingPoint, Unit

BLANK = "—"  # an empty cell, on screen and in the CSV alike


class CellState(enum.StrEnum):
    """One marking point against one evidence item, as the item's latest submission stands."""

    MET = "met"
    NOT_YET_MET = "not_yet_met"
    NOT_APPLICABLE = "not_applicable"
    CLAIMED = "claimed"  # claimed, and the submission awaits a decision
    AWAITING_COUNTERSIGNATURE = "awaiting_countersignature"  # a trainee's decision
    NONE = "none"


class Progress(enum.StrEnum):
    """One marking point for one learner, over all their evidence (the cohort matrix)."""

    MET = "met"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"

    @property
    def label(self) -> str:
        return _PROGRESS_LABELS[self]

    @property
    def cell(self) -> Cell:
        """The matrix cell that shows it (the same three for every learner: made once)."""
        return _PROGRESS_CELLS[self]


_PROGRESS_LABELS = {"met": "Met", "in_progress": "In progress", "not_started": "Not started"}
_PROGRESS_CELLS = {p: Cell(_PROGRESS_LABELS[p], str(p)) for p in Progress}


_UNDER_WAY = {CellState.CLAIMED, CellState.NOT_YET_MET, CellState.AWAITING_COUNTERSIGNATURE}
_PENDING = (CellState.CLAIMED, CellState.AWAITING_COUNTERSIGNATURE)
_NOT_YET_MET = CellState.NOT_YET_MET
_YES, _NO = Cell("Yes"), Cell("No")


class _Kind(NamedTuple):
    """What a cell says, which its mark, claim and countersignature alone decide: made once
    for each of the few combinations, and shared by every cell of that kind."""

    state: CellState
    label: str
    met: bool
    table_cell: Cell


@cache
def _kind(status: PointStatus | None, claimed: bool, awaiting: bool) -> _Kind:
    if status is None:
        state, label = (CellState.CLAIMED, "Claimed") if claimed else (CellState.NONE, "")
    elif awaiting:
        state = CellState.AWAITING_COUNTERSIGNATURE
        label = f"{status.label}, awaiting countersignature"
    else:
        state, label = CellState(status.value), status.label
    return _Kind(state, label, state is CellState.MET, Cell(label or BLANK, state.value))


@dataclass(frozen=True)
class GridCell:
    status: PointStatus | None  # the live decision's mark on this point, if it marked it
    claimed: bool
    # A trainee's decision stands only once countersigned: until then it meets nothing.
    awaiting_countersignature: bool = False
    decision_id: int | None = None
    submission_number: int | None = None
    # Looked up once, when the cell is made: a grid reads every cell's state several times
    # (its row's verdicts, the counts, the table), hundreds of cells a page.
    _kind: _Kind = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = _kind(self.status, self.claimed, self.awaiting_countersignature)
        object.__setattr__(self, "_kind", kind)

    @property
    def state(self) -> CellState:
        return self._kind.state

    @property
    def met(self) -> bool:
        return self._kind.met

    @property
    def label(self) -> str:
        return self._kind.label


@dataclass(frozen=True)
class GridRow:
    point: MarkingPoint
    cells: tuple[GridCell, ...]
    # Worked out once, when the row is made: the counts, the table and the sign-off read it.
    _met: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_met", any(c._kind.met for c in self.cells))

    @property
    def met(self) -> bool:
        return self._met

    @property
    def not_yet_met(self) -> bool:
        return not self._met and any(c._kind.state is _NOT_YET_MET for c in self.cells)

    @property
    def awaiting_decision(self) -> bool:
        """Claimed in work not yet decided, or decided by a trainee and not yet countersigned."""
        return not self._met and any(c._kind.state in _PENDING for c in self.cells)

    @property
    def progress(self) -> Progress:
        if self._met:
            return Progress.MET
        if any(c._kind.state in _UNDER_WAY for c in self.cells):
            return Progress.IN_PROGRESS
        return Progress.NOT_STARTED


def signed_off_text(sign_off: ElementSignOff) -> str:
    return sign_off_text(sign_off.assessor.name, sign_off.signed_at)


def sign_off_text(assessor: str, at: datetime) -> str:
    """A sign-off as the pages and CSVs say it, from its assessor's name and date: the day in
    London (a sign-off at 00:30 BST is on the day it was made there, not the UTC day before)."""
    return f"Signed off by {assessor} on {format_london_date(at)}"


def _complete(rows: Sequence[GridRow]) -> bool:
    return bool(rows) and all(r.met for r in rows)


@dataclass(frozen=True)
class TrackedItem:
    """A submitted item as the learner's tracking page shows it, with its latest submission:
    one row each, where the page has no use for the item's drafts or earlier attempts."""

    id: int
    element_id: str
    title: str
    status: EvidenceStatus
    latest_id: int
    latest_number: int

    @property
    def status_label(self) -> str:
        """The status as the page's list says it (looked up: the enum's label is made anew
        at each read)."""
        return _STATUS_LABELS[self.status]


# A grid's columns: Evidence entities (a pack, a sign-off) or TrackedItem rows (the page).
ItemT = TypeVar("ItemT", bound="Evidence | TrackedItem")


@dataclass(frozen=True)
class ElementGrid(Generic[ItemT]):
    """One element for one learner: live marking points (rows) against the learner's submitted
    items (columns, numbered E<first_number> onwards across the learner's elements). The
    items are Evidence entities for a pack or a sign-off, TrackedItem rows for the page."""

    element: Element
    evidence: tuple[ItemT, ...]
    rows: tuple[GridRow, ...]
    first_number: int = 1
    sign_off: ElementSignOff | None = None

    @property
    def met_count(self) -> int:
        return sum(r.met for r in self.rows)

    @property
    def not_yet_met_count(self) -> int:
        return sum(r.not_yet_met for r in self.rows)

    @property
    def outstanding_count(self) -> int:
        return len(self.rows) - self.met_count - self.not_yet_met_count

    @property
    def complete(self) -> bool:
        """Every marking point met: the element may be signed off."""
        return _complete(self.rows)

    @property
    def signed_off(self) -> str:
        return signed_off_text(self.sign_off) if self.sign_off is not None else ""

    def evidence_of_points(self) -> dict[str, dict[str, int | None]]:
        """Each met point with the decision, item and attempt that met it (the first, in
        column order): what a sign-off freezes."""
        found: dict[str, dict[str, int | None]] = {}
        for row in self.rows:
            for item, cell in zip(self.evidence, row.cells, strict=True):
                if cell.met:
                    found[row.point.id] = {
                        "decision_id": cell.decision_id,
                        "evidence_id": item.id,
                        "submission_number": cell.submission_number,
                    }
                    break
        return found

    @property
    def table(self) -> Table:
        met, not_yet_met, total = self.met_count, self.not_yet_met_count, len(self.rows)
        caption = (
            f"{self.element.title}: {met} of {total} marking points met, "
            f"{not_yet_met} not yet met, {total - met - not_yet_met} outstanding"
        )
        if self.sign_off is not None:
            caption += f"; {signed_off_text(self.sign_off).lower()}"
        return Table(
            caption=caption,
            columns=(
                Heading("Marking point"),
                *(
                    Heading(f"E{n}", item.title, ": ")
                    for n, item in enumerate(self.evidence, self.first_number)
                ),
                Heading("Met"),
            ),
            rows=tuple(
                Row(
                    Heading(point_row.point.id, point_row.point.text),
                    # Each kind of cell's table cell is made once and shared (the table's
                    # HTML is then drawn once a kind, too).
                    (
                        *[c._kind.table_cell for c in point_row.cells],
                        _YES if point_row._met else _NO,
                    ),
                )
                for point_row in self.rows
            ),
        )


def live_points_by_element() -> dict[str, list[MarkingPoint]]:
    """Every element's live marking points in rubric order, in one query."""
    found: dict[str, list[MarkingPoint]] = defaultdict(list)
    for point in db.session.scalars(_statements().live_points):
        found[point.element_id].append(point)
    return found


def sign_off_texts(learner_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """What each of these learners' sign-offs says, by (learner, element), in one query of
    the columns it is written from: not the sign-offs themselves, whose kept snapshots (large
    JSON) a list never shows."""
    rows = db.session.execute(_statements().signed, {"ids": list(learner_ids)})
    return {
        (learner_id, element_id): sign_off_text(name, at)
        for learner_id, element_id, name, at in rows
    }


def sign_offs_for(learner_ids: Iterable[int]) -> dict[tuple[int, str], ElementSignOff]:
    rows = db.session.scalars(_statements().sign_offs, {"ids": list(learner_ids)})
    return {(s.learner_id, s.element_id): s for s in rows}


_MET, _AWAITING = "met", "awaiting"


class _Statements(NamedTuple):
    progress: CompoundSelect[Any]  # (point, state) of the learner :learner_id, kept
    # (learner, element, assessor's name, signed at) of the learners :ids' sign-offs
    signed: Select[int, str, str, datetime]
    live_points: Select[MarkingPoint]
    sign_offs: Select[ElementSignOff]  # of the learners :ids
    rubric: Select[Element, MarkingPoint]
    latest: CompoundSelect[Any]  # of the submissions :ids
    submitted: Select[Any]  # of the learner :learner_id


@cache
def _statements() -> _Statements:
    """Tracking's statements, built once with their parameters bound at each run: building
    one costs as much Python as running it. Those read as rows are of the tables rather than
    the mapped classes, so the session runs them without the ORM's setup (nor its autoflush:
    they read committed work), as they load no entities."""
    ids: Any = bindparam("ids", expanding=True)
    learner_id: Any = bindparam("learner_id")
    decision, point_decision = Decision.__table__.c, PointDecision.__table__.c
    evidence, submission = Evidence.__table__.c, Submission.__table__.c
    newest = (
        select(submission.evidence_id, func.max(submission.number).label("number"))
        .join_from(Submission.__table__, Evidence.__table__, evidence.id == submission.evidence_id)
        .where(evidence.learner_id == learner_id)
        .group_by(submission.evidence_id)
        .subquery("newest")
    )
    assessor = aliased(User, name="assessor")
    return _Statements(
        progress=union_all(
            select(PointMet.marking_point_id, literal(_MET)).where(
                PointMet.learner_id == learner_id
            ),
            select(
                PointUnderWay.marking_point_id,
                case((PointUnderWay.awaiting, literal(_AWAITING)), else_=literal("not_yet")),
            ).where(PointUnderWay.learner_id == learner_id),
        ),
        signed=select(
            ElementSignOff.learner_id,
            ElementSignOff.element_id,
            assessor.name,
            ElementSignOff.signed_at,
        )
        .join(assessor, assessor.id == ElementSignOff.assessor_id)
        .where(ElementSignOff.learner_id.in_(ids)),
        live_points=select(MarkingPoint)
        .where(MarkingPoint.retired.is_(False))
        .order_by(MarkingPoint.element_id, MarkingPoint.position),
        sign_offs=select(ElementSignOff)
        .where(ElementSignOff.learner_id.in_(ids))
        # Only the assessor's name is shown: their roles would be one more query, and only
        # when some learner on the page has a sign-off.
        .options(joinedload(ElementSignOff.assessor).lazyload(User.roles)),
        # The elements in rubric order, each with its live marking points (the elements of
        # qualifications.list_elements and the points of live_points_by_element at once).
        rubric=select(Element, MarkingPoint)
        .join(Unit, Unit.id == Element.unit_id)
        .outerjoin(
            MarkingPoint,
            and_(MarkingPoint.element_id == Element.id, MarkingPoint.retired.is_(False)),
        )
        .order_by(Unit.position, Element.position, MarkingPoint.position),
        # Each claim as (submission, point), then each live decision's marks as (submission,
        # point or none, decision, awaiting, mark): one statement, which costs as much Python
        # to run as two would to fetch.
        latest=union_all(
            select(
                submission_claim.c.submission_id,
                submission_claim.c.marking_point_id,
                null(),
                null(),
                null(),
            ).where(submission_claim.c.submission_id.in_(ids)),
            select(
                decision.submission_id,
                point_decision.marking_point_id,
                decision.id,
                # A trainee's decision stands only once countersigned (as a flag: reading the
                # time itself costs a date parse a row).
                and_(decision.needs_countersignature, decision.countersigned_at.is_(None)),
                # The mark as its text, which _POINT_STATUS names: cheaper than the column
                # type's conversion.
                type_coerce(point_decision.status, String),
            )
            .select_from(
                Decision.__table__.outerjoin(
                    PointDecision.__table__, point_decision.decision_id == decision.id
                )
            )
            .where(decision.submission_id.in_(ids), decision.superseded_at.is_(None)),
        ),
        submitted=select(
            evidence.id,
            evidence.element_id,
            evidence.title,
            type_coerce(evidence.status, String),
            submission.id,
            submission.number,
        )
        .select_from(
            Evidence.__table__.join(newest, newest.c.evidence_id == evidence.id).join(
                Submission.__table__,
                and_(submission.evidence_id == evidence.id, submission.number == newest.c.number),
            )
        )
        .where(evidence.learner_id == learner_id)
        .order_by(evidence.element_id, evidence.created_at, evidence.id),
    )


_POINT_STATUS = {s.value: s for s in PointStatus}
_EVIDENCE_STATUS = {s.value: s for s in EvidenceStatus}
_STATUS_LABELS = {s: s.label for s in EvidenceStatus}


@cache
def _blank(claimed: bool, awaiting: bool, number: int) -> GridCell:
    """A cell the live decision (if any) did not mark: one for each kind, shared by every
    grid (a cell is immutable, and names no decision)."""
    return GridCell(None, claimed, awaiting, None, number)


# An item's column: the cells of the points its latest submission claims or the live
# decision on it marks, and the cell of every other point.
_Column = tuple[dict[str, GridCell], GridCell]


def _columns(items: Sequence[TrackedItem]) -> dict[int, _Column]:
    """Each item's column, from its latest submission's claims and the live decision on it
    (superseded ones are history), read as rows in one statement. An item's cells of one
    kind are one cell, made once."""
    latest = [item.latest_id for item in items]
    decided: dict[int, tuple[int, bool]] = {}
    marks: dict[int, list[tuple[str, PointStatus]]] = defaultdict(list)
    claimed: dict[int, set[str]] = defaultdict(set)
    if latest:
        # .all(): the rows in one fetch, not one a row.
        rows = db.session.execute(_statements().latest, {"ids": latest}).all()
        for submission_id, point_id, decision_id, awaiting, status in rows:
            if decision_id is None:  # a claim
                claimed[submission_id].add(point_id)
                continue
            decided[submission_id] = (decision_id, bool(awaiting))
            if point_id is not None:
                marks[submission_id].append((point_id, _POINT_STATUS[status]))
    found: dict[int, _Column] = {}
    no_claims: set[str] = set()
    for item in items:
        number, claims = item.latest_number, claimed.get(item.latest_id, no_claims)
        decision_id, awaiting = decided.get(item.latest_id, (None, False))
        cells = dict.fromkeys(claims, _blank(True, awaiting, number)) if claims else {}
        made: dict[tuple[PointStatus, bool], GridCell] = {}
        for point_id, status in marks.get(item.latest_id, ()):
            kind = (status, point_id in claims)
            cell = made.get(kind)
            if cell is None:
                cell = made[kind] = GridCell(status, kind[1], awaiting, decision_id, number)
            cells[point_id] = cell
        found[item.id] = (cells, _blank(False, awaiting, number))
    return found


def _tracked(item: Evidence) -> TrackedItem:
    latest = item.submissions[-1]
    return TrackedItem(item.id, item.element_id, item.title, item.status, latest.id, latest.number)


def submitted_items(learner: User) -> list[TrackedItem]:
    """The learner's submitted items in grid order (by element, oldest first), each with its
    latest submission: one statement of rows."""
    rows = db.session.execute(_statements().submitted, {"learner_id": learner.id}).all()
    return [
        TrackedItem(item_id, element_id, title, _EVIDENCE_STATUS[status], latest_id, number)
        for item_id, element_id, title, status, latest_id, number in rows
    ]


def tracking_grid(
    learner: User, evidence: Sequence[Evidence] | None = None
) -> list[ElementGrid[Evidence]]:
    """Per element: live marking points against the learner's submitted evidence.

    A cell shows the live decision on that point for the item's latest submission, or, while
    that submission awaits a decision, whether it claims the point. A caller that has already
    read the learner's evidence (evidence_services.list_for_learner) passes it in, so it is
    not read twice.
    """
    if evidence is None:
        evidence = evidence_services.list_for_learner(learner)
    items = [e for e in evidence if e.submissions]
    return _grids(learner, items, [_tracked(e) for e in items])


def tracking_page(learner: User, items: Sequence[TrackedItem]) -> list[ElementGrid[TrackedItem]]:
    """The grids of the learner's tracking page, from their submitted_items (rows) rather
    than their evidence with every submission."""
    return _grids(learner, items, items)


def _rubric() -> tuple[list[Element], dict[str, list[MarkingPoint]]]:
    """The elements in rubric order and each one's live marking points, in one query."""
    elements: list[Element] = []
    points: dict[str, list[MarkingPoint]] = {}
    for element, point in db.session.execute(_statements().rubric):
        live = points.get(element.id)
        if live is None:
            elements.append(element)
            live = points[element.id] = []
        if point is not None:
            live.append(point)
    return elements, points


def _grids(
    learner: User, items: Sequence[ItemT], tracked: Sequence[TrackedItem]
) -> list[ElementGrid[ItemT]]:
    columns = _columns(tracked)
    elements, points = _rubric()
    signed = sign_offs_for([learner.id])
    by_element: dict[str, list[ItemT]] = defaultdict(list)
    for item in items:
        by_element[item.element_id].append(item)
    grids: list[ElementGrid[ItemT]] = []
    number = 1
    for element in elements:
        element_items = tuple(by_element.get(element.id, ()))
        live = points[element.id]
        point_ids = [p.id for p in live]
        # Each item's cells down the element's points, then read across: a row a point.
        down = []
        for item in element_items:
            cells, blank = columns[item.id]
            get = cells.get
            down.append([get(point_id, blank) for point_id in point_ids])
        across = zip(*down, strict=True) if down else [()] * len(live)
        rows = tuple(GridRow(point, cells) for point, cells in zip(live, across, strict=True))
        grids.append(
            ElementGrid(element, element_items, rows, number, signed.get((learner.id, element.id)))
        )
        number += len(element_items)
    return grids


@dataclass(frozen=True)
class ElementCoverage:
    """An element's marking points sorted three ways, as the tracking grid counts them: met
    (by a standing decision on an item's latest attempt), awaiting a decision (claimed in
    submitted work, or decided by a trainee and not yet countersigned), and not yet evidenced
    (never claimed, or judged not yet met)."""

    element: Element
    met: tuple[MarkingPoint, ...]
    claimed: tuple[MarkingPoint, ...]
    missing: tuple[MarkingPoint, ...]
    # "Signed off by ... on ...", or "" while the element is not signed off.
    signed_off: str = ""

    @property
    def total(self) -> int:
        return len(self.met) + len(self.claimed) + len(self.missing)


def coverage_by_element(learner: User) -> list[ElementCoverage]:
    """Per element, the learner's live marking points sorted as their tracking grid sorts
    them, for their home page: read from the kept progress (portfolio/assessment/progress.py),
    one statement for their met and under-way points rather than every item, attempt and
    decision of theirs; one for the elements and their points; one for the sign-offs' text."""
    mine = {"learner_id": learner.id}
    made = _statements()
    states: dict[str, str] = {
        point: state for point, state in db.session.execute(made.progress, mine)
    }
    signed = sign_off_texts([learner.id])
    elements, points = _rubric()
    found = []
    for element in elements:
        live = points.get(element.id, [])
        found.append(
            ElementCoverage(
                element,
                tuple(p for p in live if states.get(p.id) == _MET),
                tuple(p for p in live if states.get(p.id) == _AWAITING),
                tuple(p for p in live if states.get(p.id) not in (_MET, _AWAITING)),
                signed.get((learner.id, element.id), ""),
            )
        )
    return found
