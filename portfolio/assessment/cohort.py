"""The cohort matrix: a group of learners against every element's marking points, read in a
fixed number of queries however many learners it holds; and choosing whose learners it shows."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from portfolio.assessment import tracking
from portfolio.assessment.caseload import name_matches
from portfolio.assessment.models import Decision, ElementSignOff, PointDecision, PointStatus
from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.core.paging import PageArg, Paged, count, paginate
from portfolio.core.tables import Cell, Heading, Row, Table
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission, submission_claim
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


# Learners read at a time for the whole-centre CSV.
BATCH = 300

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


def learner_page(viewer: User, where: CohortFilter, asked: PageArg) -> Paged[User]:
    """One page of the matrix's learners, counted in SQL."""
    query = learners_query(viewer, where)
    if query is None:
        return Paged([], 0)
    return paginate(query, asked)


def learner_count(viewer: User, where: CohortFilter) -> int:
    query = learners_query(viewer, where)
    return 0 if query is None else count(query)


def learner_batches(viewer: User, where: CohortFilter, size: int) -> Iterator[Sequence[User]]:
    """Every learner of the matrix, by name, `size` at a time: keyset batches on (name, id),
    so memory and each query's cost stay the same however many there are."""
    query = learners_query(viewer, where)
    if query is None:
        return
    last: tuple[str, int] | None = None
    while True:
        batch = query
        if last is not None:
            batch = batch.where(
                or_(User.name > last[0], and_(User.name == last[0], User.id > last[1]))
            )
        found = db.session.scalars(batch.limit(size)).all()
        if found:
            yield found
        if len(found) < size:
            return
        last = (found[-1].name, found[-1].id)


@dataclass(frozen=True)
class CohortRow:
    learner: User
    cells: tuple[tracking.Progress, ...]
    sign_off: ElementSignOff | None

    @property
    def met_count(self) -> int:
        return sum(c is tracking.Progress.MET for c in self.cells)

    @property
    def complete(self) -> bool:
        return bool(self.cells) and self.met_count == len(self.cells)

    @property
    def sign_off_text(self) -> str:
        if self.sign_off is not None:
            return tracking.signed_off_text(self.sign_off)
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
            sum(r.sign_off is not None for r in self.rows),
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
                *(Cell(c.label, c.value) for c in r.cells),
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


def _latest_submissions(learner_ids: Any, element_ids: Sequence[str] | None) -> Any:
    """The latest submission of each of these learners' items (learner_ids: a list or a
    subquery of ids), optionally of some elements only, as a subquery."""
    newer = aliased(Submission, name="newer")
    query = (
        select(
            Submission.id.label("submission_id"),
            Submission.number,
            Evidence.learner_id,
            Evidence.element_id,
        )
        .join(Evidence, Evidence.id == Submission.evidence_id)
        .where(
            Evidence.learner_id.in_(learner_ids),
            Submission.number
            == select(func.max(newer.number))
            .where(newer.evidence_id == Submission.evidence_id)
            .scalar_subquery(),
        )
    )
    if element_ids is not None:
        query = query.where(Evidence.element_id.in_(element_ids))
    return query.subquery()


def _latest_attempts(
    learner_ids: Sequence[int], element_ids: Sequence[str] | None = None
) -> dict[int, list[tracking.LatestAttempt]]:
    """Every learner's items' latest submissions with their claims and live decisions, by
    learner: three queries for any number of learners."""
    latest = _latest_submissions(learner_ids, element_ids)
    claims: dict[int, set[str]] = defaultdict(set)
    for submission_id, point_id in db.session.execute(
        select(submission_claim.c.submission_id, submission_claim.c.marking_point_id).join(
            latest, latest.c.submission_id == submission_claim.c.submission_id
        )
    ):
        claims[submission_id].add(point_id)
    decided: dict[int, tuple[int | None, bool]] = {}
    marks: dict[int, dict[str, PointStatus]] = defaultdict(dict)
    for decision_id, submission_id, needs, countersigned_at, point_id, status in db.session.execute(
        select(
            Decision.id,
            Decision.submission_id,
            Decision.needs_countersignature,
            Decision.countersigned_at,
            PointDecision.marking_point_id,
            PointDecision.status,
        )
        .join(latest, latest.c.submission_id == Decision.submission_id)
        .outerjoin(PointDecision, PointDecision.decision_id == Decision.id)
        .where(Decision.superseded_at.is_(None))
    ):
        decided[submission_id] = (decision_id, needs and countersigned_at is None)
        if point_id is not None:
            marks[submission_id][point_id] = status
    found: dict[int, list[tracking.LatestAttempt]] = defaultdict(list)
    for submission_id, number, learner_id, element_id in db.session.execute(select(latest)):
        decision, awaiting = decided.get(submission_id, (None, False))
        found[learner_id].append(
            tracking.LatestAttempt(
                element_id,
                number,
                frozenset(claims[submission_id]),
                decision,
                awaiting,
                marks.get(submission_id, {}),
            )
        )
    return found


def _elements(element_id: str | None) -> list[Element]:
    elements = qualifications.list_elements()
    return [e for e in elements if element_id is None or e.id == element_id]


def matrix_elements(
    learners: Sequence[User],
    elements: Sequence[Element],
    points: Mapping[str, Sequence[MarkingPoint]],
    totals: Mapping[str, ElementTotals] | None = None,
) -> tuple[CohortElement, ...]:
    """These learners' rows of each element: a fixed number of queries however many."""
    ids = [learner.id for learner in learners]
    attempts = _latest_attempts(ids, [e.id for e in elements]) if ids else {}
    signed = tracking.sign_offs_for(ids) if ids else {}
    found = []
    for element in elements:
        element_points = tuple(points.get(element.id, []))
        rows = []
        for learner in learners:
            mine = [a for a in attempts.get(learner.id, []) if a.element_id == element.id]
            cells = tuple(
                tracking.GridRow(p, tuple(a.cell(p.id) for a in mine)).progress
                for p in element_points
            )
            rows.append(CohortRow(learner, cells, signed.get((learner.id, element.id))))
        found.append(
            CohortElement(
                element, element_points, tuple(rows), totals.get(element.id) if totals else None
            )
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


def element_totals(
    viewer: User,
    where: CohortFilter,
    learners: int,
    elements: Sequence[Element],
    points: Mapping[str, Sequence[MarkingPoint]],
) -> dict[str, ElementTotals]:
    """Each element counted over every learner the filter selects, in two statements whatever
    their number: learners who met each point and who met every point (GROUP BY over the
    met points, read once), and who are signed off."""
    query = learners_query(viewer, where)
    if query is None or not learners or not elements:
        return {}
    ids = query.with_only_columns(User.id).order_by(None)
    # Each learner's met points, read once (a CTE used twice is materialised by SQLite and
    # PostgreSQL alike). Only an accepted or referred item's latest attempt carries a live
    # decision, so only those items are read; an older attempt's referral is history.
    newer = aliased(Submission, name="newer")
    met = (
        select(Evidence.learner_id, Evidence.element_id, PointDecision.marking_point_id)
        .select_from(Evidence)
        .join(Submission, Submission.evidence_id == Evidence.id)
        .join(Decision, Decision.submission_id == Submission.id)
        .join(PointDecision, PointDecision.decision_id == Decision.id)
        .where(
            Evidence.status.in_([EvidenceStatus.ACCEPTED, EvidenceStatus.REFERRED]),
            Evidence.learner_id.in_(ids),
            Evidence.element_id.in_([e.id for e in elements]),
            ~select(newer.id)
            .where(newer.evidence_id == Submission.evidence_id, newer.number > Submission.number)
            .exists(),
            Decision.superseded_at.is_(None),
            # A trainee's decision meets nothing until it is countersigned.
            or_(Decision.needs_countersignature.is_(False), Decision.countersigned_at.is_not(None)),
            PointDecision.status == PointStatus.MET,
            # Live points only, named rather than joined: a join to marking_point leads
            # SQLite to read every accepted item once per point.
            PointDecision.marking_point_id.in_(
                [p.id for e in elements for p in points.get(e.id, [])]
            ),
        )
        .distinct()
        .cte("met")
    )
    per_learner = (
        select(met.c.learner_id, met.c.element_id, func.count().label("met"))
        .group_by(met.c.learner_id, met.c.element_id)
        .subquery()
    )
    # One statement: (point, None, learners who met it), then (element, points met, learners
    # who met that many).
    counted = union_all(
        select(met.c.marking_point_id, literal(None, Integer), func.count()).group_by(
            met.c.marking_point_id
        ),
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
    signed: dict[str, int] = dict(
        db.session.execute(
            select(ElementSignOff.element_id, func.count())
            .where(
                ElementSignOff.learner_id.in_(ids),
                ElementSignOff.element_id.in_([e.id for e in elements]),
            )
            .group_by(ElementSignOff.element_id)
        ).all()
    )
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

    learners: Paged[User]
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


def csv_lines(
    viewer: User, where: CohortFilter, title: str, batch: int | None = None
) -> Iterator[list[str]]:
    """The whole matrix as CSV lines, the page's tables line for line (caption, headings, a
    row per learner, the foot), each element's learners read in keyset batches: memory stays
    that of one batch however many learners there are."""
    yield [title]
    learners = learner_count(viewer, where)
    if not learners:
        return
    elements = _elements(where.element_id)
    points = tracking.live_points_by_element()
    totals = element_totals(viewer, where, learners, elements, points)
    for element in elements:
        part = CohortElement(element, tuple(points.get(element.id, [])), (), totals[element.id])
        yield []
        yield [part.caption]
        yield [c.text for c in part.columns]
        for learners_batch in learner_batches(viewer, where, batch or BATCH):
            (rows,) = matrix_elements(learners_batch, [element], points)
            for learner_row in rows.rows:
                yield part.row(learner_row).texts
        for foot in part.foot:
            yield foot.texts
