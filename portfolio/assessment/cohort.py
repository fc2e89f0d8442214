"""The cohort matrix: a group of learners against every element's marking points, read in a
fixed number of queries however many learners it holds; and choosing whose learners it shows."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from portfolio.assessment import tracking
from portfolio.assessment.models import Decision, ElementSignOff, PointDecision, PointStatus
from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role, User
from portfolio.core.tables import Cell, Heading, Row, Table
from portfolio.evidence.models import Evidence, Submission, submission_claim
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


# The group filter: None for every group, NO_GROUP for learners in none, else a Cohort.
NO_GROUP = "none"


def cohort_learners(viewer: User, scope: Scope, group: Cohort | str | None) -> list[User]:
    """The learners in the matrix, by name. A scope the viewer does not have yields nobody."""
    if scope not in scopes_for(viewer):
        return []
    pool = (
        accounts.users_with_role(Role.LEARNER) if scope is Scope.ALL else accounts.caseload(viewer)
    )
    if group is None:
        return list(pool)
    wanted = group.id if isinstance(group, Cohort) else None
    return [p for p in pool if p.cohort_id == wanted]


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
class CohortElement:
    element: Element
    points: tuple[MarkingPoint, ...]
    rows: tuple[CohortRow, ...]

    def met_by(self, index: int) -> int:
        return sum(r.cells[index] is tracking.Progress.MET for r in self.rows)

    @property
    def table(self) -> Table:
        learners = len(self.rows)
        complete = sum(r.complete for r in self.rows)
        signed = sum(r.sign_off is not None for r in self.rows)
        return Table(
            caption=(
                f"{self.element.title}: {complete} of {learners} learners have met every "
                f"marking point, {signed} signed off"
            ),
            columns=(
                Heading("Learner"),
                *(Heading(p.id) for p in self.points),
                Heading("Points met"),
                Heading("Sign-off"),
            ),
            rows=tuple(
                Row(
                    Heading(
                        r.learner.name,
                        endpoint="assessment.learner",
                        args=(("learner_id", r.learner.id),),
                    ),
                    (
                        *(Cell(c.label, c.value) for c in r.cells),
                        Cell(f"{r.met_count} of {len(self.points)}"),
                        Cell(r.sign_off_text),
                    ),
                )
                for r in self.rows
            ),
            foot=(
                Row(
                    Heading("Learners who have met it"),
                    (
                        *(Cell(f"{self.met_by(i)} of {learners}") for i in range(len(self.points))),
                        Cell(f"{complete} of {learners} complete"),
                        Cell(f"{signed} signed off"),
                    ),
                ),
            ),
        )


@dataclass(frozen=True)
class CohortMatrix:
    learners: tuple[User, ...]
    elements: tuple[CohortElement, ...]

    @property
    def tables(self) -> list[Table]:
        return [e.table for e in self.elements]


def _latest_attempts(learner_ids: Sequence[int]) -> dict[int, list[tracking.LatestAttempt]]:
    """Every learner's items' latest submissions with their claims and live decisions, by
    learner: three queries for any number of learners."""
    newest = (
        select(Submission.evidence_id, func.max(Submission.number).label("number"))
        .join(Evidence, Evidence.id == Submission.evidence_id)
        .where(Evidence.learner_id.in_(learner_ids))
        .group_by(Submission.evidence_id)
        .subquery()
    )
    latest = (
        select(
            Submission.id.label("submission_id"),
            Submission.number,
            Evidence.learner_id,
            Evidence.element_id,
        )
        .join(Evidence, Evidence.id == Submission.evidence_id)
        .join(
            newest,
            and_(
                newest.c.evidence_id == Submission.evidence_id,
                newest.c.number == Submission.number,
            ),
        )
        .subquery()
    )
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


def cohort_matrix(learners: Sequence[User]) -> CohortMatrix:
    """Learners against every element's live marking points: met by a standing decision, in
    progress (claimed, not yet met, or awaiting countersignature) or not started; as the
    learner's own tracking grid reads them."""
    if not learners:
        return CohortMatrix((), ())
    ids = [learner.id for learner in learners]
    attempts = _latest_attempts(ids)
    points = tracking.live_points_by_element()
    signed = tracking.sign_offs_for(ids)
    elements = []
    for element in qualifications.list_elements():
        element_points = tuple(points.get(element.id, []))
        rows = []
        for learner in learners:
            mine = [a for a in attempts.get(learner.id, []) if a.element_id == element.id]
            cells = tuple(
                tracking.GridRow(p, tuple(a.cell(p.id) for a in mine)).progress
                for p in element_points
            )
            rows.append(CohortRow(learner, cells, signed.get((learner.id, element.id))))
        elements.append(CohortElement(element, element_points, tuple(rows)))
    return CohortMatrix(tuple(learners), tuple(elements))
