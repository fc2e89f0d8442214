"""Tracking: one learner's marking points against their evidence, and a group of learners
against the marking points, read from live decisions only; each drawn as tables that the page
and its CSV share."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Select, and_, bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import joinedload

from portfolio.assessment.models import (
    Decision,
    ElementSignOff,
    PointDecision,
    PointMet,
    PointStatus,
    PointUnderWay,
)
from portfolio.auth.models import User
from portfolio.core.tables import Cell, Heading, Row, Table
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission, submission_claim
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element, MarkingPoint

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


@dataclass(frozen=True)
class GridCell:
    status: PointStatus | None  # the live decision's mark on this point, if it marked it
    claimed: bool
    # A trainee's decision stands only once countersigned: until then it meets nothing.
    awaiting_countersignature: bool = False
    decision_id: int | None = None
    submission_number: int | None = None

    @property
    def state(self) -> CellState:
        if self.status is None:
            return CellState.CLAIMED if self.claimed else CellState.NONE
        if self.awaiting_countersignature:
            return CellState.AWAITING_COUNTERSIGNATURE
        return CellState(self.status.value)

    @property
    def met(self) -> bool:
        return self.state is CellState.MET

    @property
    def label(self) -> str:
        if self.status is None:
            return "Claimed" if self.claimed else ""
        if self.awaiting_countersignature:
            return f"{self.status.label}, awaiting countersignature"
        return self.status.label


@dataclass(frozen=True)
class GridRow:
    point: MarkingPoint
    cells: tuple[GridCell, ...]

    @property
    def met(self) -> bool:
        return any(c.met for c in self.cells)

    @property
    def not_yet_met(self) -> bool:
        return not self.met and any(c.state is CellState.NOT_YET_MET for c in self.cells)

    @property
    def awaiting_decision(self) -> bool:
        """Claimed in work not yet decided, or decided by a trainee and not yet countersigned."""
        pending = (CellState.CLAIMED, CellState.AWAITING_COUNTERSIGNATURE)
        return not self.met and any(c.state in pending for c in self.cells)

    @property
    def progress(self) -> Progress:
        if self.met:
            return Progress.MET
        if any(c.state in _UNDER_WAY for c in self.cells):
            return Progress.IN_PROGRESS
        return Progress.NOT_STARTED


def signed_off_text(sign_off: ElementSignOff) -> str:
    return sign_off_text(sign_off.assessor.name, sign_off.signed_at)


def sign_off_text(assessor: str, at: datetime) -> str:
    """A sign-off as the pages and CSVs say it, from its assessor's name and date."""
    return f"Signed off by {assessor} on {at.day} {at:%B %Y}"


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
        caption = (
            f"{self.element.title}: {self.met_count} of {len(self.rows)} marking points met, "
            f"{self.not_yet_met_count} not yet met, {self.outstanding_count} outstanding"
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
                    (
                        *(Cell(c.label or BLANK, c.state.value) for c in point_row.cells),
                        Cell("Yes" if point_row.met else "No"),
                    ),
                )
                for point_row in self.rows
            ),
        )


@dataclass(frozen=True)
class LatestAttempt:
    """What tracking reads of one evidence item: its latest submission's claims and the live
    decision on it, if any."""

    element_id: str
    number: int
    claims: frozenset[str]
    decision_id: int | None = None
    awaiting_countersignature: bool = False
    marks: Mapping[str, PointStatus] = field(default_factory=dict)

    def cell(self, point_id: str) -> GridCell:
        status = self.marks.get(point_id)
        return GridCell(
            status=status,
            claimed=point_id in self.claims,
            awaiting_countersignature=self.awaiting_countersignature,
            decision_id=self.decision_id if status is not None else None,
            submission_number=self.number,
        )


def live_points_by_element() -> dict[str, list[MarkingPoint]]:
    """Every element's live marking points in rubric order, in one query."""
    found: dict[str, list[MarkingPoint]] = defaultdict(list)
    for point in db.session.scalars(
        select(MarkingPoint)
        .where(MarkingPoint.retired.is_(False))
        .order_by(MarkingPoint.element_id, MarkingPoint.position)
    ):
        found[point.element_id].append(point)
    return found


def sign_offs_for(learner_ids: Iterable[int]) -> dict[tuple[int, str], ElementSignOff]:
    rows = db.session.scalars(
        select(ElementSignOff)
        .where(ElementSignOff.learner_id.in_(list(learner_ids)))
        # Only the assessor's name is shown: their roles would be one more query, and only
        # when some learner on the page has a sign-off.
        .options(joinedload(ElementSignOff.assessor).lazyload(User.roles))
    )
    return {(s.learner_id, s.element_id): s for s in rows}


@cache
def _latest_statements() -> tuple[Select[Any], Select[Any]]:
    """The claims and the live decisions' marks of the submissions :ids, as rows: built once
    (a statement costs as much to build as to run here)."""
    ids: Any = bindparam("ids", expanding=True)
    claims = select(submission_claim.c.submission_id, submission_claim.c.marking_point_id).where(
        submission_claim.c.submission_id.in_(ids)
    )
    decisions = (
        select(
            Decision.submission_id,
            Decision.id,
            Decision.needs_countersignature,
            Decision.countersigned_at,
            PointDecision.marking_point_id,
            PointDecision.status,
        )
        .outerjoin(PointDecision, PointDecision.decision_id == Decision.id)
        .where(Decision.submission_id.in_(ids), Decision.superseded_at.is_(None))
    )
    return cast(Select[Any], claims), cast(Select[Any], decisions)


def _latest_of_items(items: Sequence[TrackedItem]) -> dict[int, LatestAttempt]:
    """Each item's latest submission with the live decision on it (superseded ones are
    history): one query of their claims and one of the live decisions' marks, read as rows."""
    latest = [item.latest_id for item in items]
    decided: dict[int, tuple[int, bool]] = {}
    marks: dict[int, dict[str, PointStatus]] = defaultdict(dict)
    claimed: dict[int, set[str]] = defaultdict(set)
    if latest:
        # The claims as (submission, point) rows: the items need not carry them.
        claims_of, decisions = _latest_statements()
        for submission_id, point_id in db.session.execute(claims_of, {"ids": latest}):
            claimed[submission_id].add(point_id)
        for (
            submission_id,
            decision_id,
            needs,
            countersigned_at,
            point_id,
            status,
        ) in db.session.execute(decisions, {"ids": latest}):
            # A trainee's decision stands only once countersigned.
            decided[submission_id] = (decision_id, needs and countersigned_at is None)
            if point_id is not None:
                marks[submission_id][point_id] = status
    found = {}
    for item in items:
        claims = frozenset(claimed.get(item.latest_id, ()))
        decision = decided.get(item.latest_id)
        found[item.id] = (
            LatestAttempt(item.element_id, item.latest_number, claims)
            if decision is None
            else LatestAttempt(
                item.element_id,
                item.latest_number,
                claims,
                decision[0],
                decision[1],
                marks.get(item.latest_id, {}),
            )
        )
    return found


def _tracked(item: Evidence) -> TrackedItem:
    latest = item.submissions[-1]
    return TrackedItem(item.id, item.element_id, item.title, item.status, latest.id, latest.number)


def submitted_items(learner: User) -> list[TrackedItem]:
    """The learner's submitted items in grid order (by element, oldest first), each with its
    latest submission: one statement of rows."""
    rows = db.session.execute(_submitted_statement(), {"learner_id": learner.id})
    return [TrackedItem(*row) for row in rows]


@cache
def _submitted_statement() -> Select[Any]:
    learner_id: Any = bindparam("learner_id")
    newest = (
        select(Submission.evidence_id, func.max(Submission.number).label("number"))
        .join(Evidence, Evidence.id == Submission.evidence_id)
        .where(Evidence.learner_id == learner_id)
        .group_by(Submission.evidence_id)
        .subquery("newest")
    )
    query = (
        select(
            Evidence.id,
            Evidence.element_id,
            Evidence.title,
            Evidence.status,
            Submission.id,
            Submission.number,
        )
        .join(newest, newest.c.evidence_id == Evidence.id)
        .join(
            Submission,
            and_(Submission.evidence_id == Evidence.id, Submission.number == newest.c.number),
        )
        .where(Evidence.learner_id == learner_id)
        .order_by(Evidence.element_id, Evidence.created_at, Evidence.id)
    )
    return cast(Select[Any], query)


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


def _grids(
    learner: User, items: Sequence[ItemT], tracked: Sequence[TrackedItem]
) -> list[ElementGrid[ItemT]]:
    latest = _latest_of_items(tracked)
    points = live_points_by_element()
    signed = sign_offs_for([learner.id])
    grids: list[ElementGrid[ItemT]] = []
    number = 1
    for element in qualifications.list_elements():
        element_items = tuple(e for e in items if e.element_id == element.id)
        rows = tuple(
            GridRow(point, tuple(latest[item.id].cell(point.id) for item in element_items))
            for point in points.get(element.id, [])
        )
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
    sign_off: ElementSignOff | None = None

    @property
    def total(self) -> int:
        return len(self.met) + len(self.claimed) + len(self.missing)

    @property
    def signed_off(self) -> str:
        return signed_off_text(self.sign_off) if self.sign_off is not None else ""


def coverage_by_element(learner: User) -> list[ElementCoverage]:
    """Per element, the learner's live marking points sorted as their tracking grid sorts
    them, for their home page: read from the kept progress (portfolio/assessment/progress.py),
    one statement for their met and under-way points rather than every item, attempt and
    decision of theirs."""
    met, awaiting = "met", "awaiting"
    states: dict[str, str] = {}
    for point_id, state in db.session.execute(
        union_all(
            select(PointMet.marking_point_id, literal(met)).where(
                PointMet.learner_id == learner.id
            ),
            select(
                PointUnderWay.marking_point_id,
                case((PointUnderWay.awaiting, literal(awaiting)), else_=literal("not_yet")),
            ).where(PointUnderWay.learner_id == learner.id),
        )
    ):
        states[point_id] = state
    points = live_points_by_element()
    signed = sign_offs_for([learner.id])
    found = []
    for element in qualifications.list_elements():
        live = points.get(element.id, [])
        found.append(
            ElementCoverage(
                element,
                tuple(p for p in live if states.get(p.id) == met),
                tuple(p for p in live if states.get(p.id) == awaiting),
                tuple(p for p in live if states.get(p.id) not in (met, awaiting)),
                signed.get((learner.id, element.id)),
            )
        )
    return found
