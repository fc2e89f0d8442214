"""Assessors' queues and decisions, and the tracking grid of marking points against evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portfolio.assessment.models import Decision, Outcome, PointDecision, PointStatus
from portfolio.auth.models import User
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element, MarkingPoint


class DecisionRefused(Exception):
    """The decision was not recorded; the message says why."""


@dataclass(frozen=True)
class PointMark:
    status: PointStatus
    comment: str


def queue(assessor: User) -> Sequence[Submission]:
    """Submissions from this assessor's learners that await a decision, oldest first."""
    return db.session.scalars(
        select(Submission)
        .join(Evidence, Submission.evidence_id == Evidence.id)
        .join(User, Evidence.learner_id == User.id)
        .outerjoin(Decision, Decision.submission_id == Submission.id)
        .where(
            User.assessor_id == assessor.id,
            Decision.id.is_(None),
            Evidence.status == EvidenceStatus.SUBMITTED,
        )
        .order_by(Submission.submitted_at)
    ).all()


def decision_for(submission: Submission) -> Decision | None:
    return db.session.scalar(select(Decision).where(Decision.submission_id == submission.id))


def decisions_for(evidence: Evidence) -> dict[int, Decision]:
    return decisions_for_items([evidence])


def decisions_for_items(items: Sequence[Evidence]) -> dict[int, Decision]:
    """Every decision on these items' submissions, by submission id, in one query (and one
    more for their point decisions)."""
    ids = [s.id for item in items for s in item.submissions]
    rows = db.session.scalars(
        select(Decision)
        .where(Decision.submission_id.in_(ids))
        .options(selectinload(Decision.points))
    )
    return {d.submission_id: d for d in rows}


def assessable_submission(assessor: User, submission_id: int) -> Submission | None:
    """A submission is visible for marking only to the learner's own assessor."""
    submission = evidence_services.get_submission(submission_id)
    if submission is None or submission.evidence.learner.assessor_id != assessor.id:
        return None
    return submission


def record_decision(
    assessor: User,
    submission: Submission,
    marks: Mapping[str, PointMark],
    outcome: Outcome,
    feedback: str,
) -> Decision:
    """Record an assessor's decision on the latest submission of an item in their caseload."""
    evidence = submission.evidence
    if evidence.learner.assessor_id != assessor.id:
        raise DecisionRefused("This learner is not in your caseload.")
    if evidence.latest is not submission or evidence.status is not EvidenceStatus.SUBMITTED:
        raise DecisionRefused("This submission has already been decided.")
    points = {p.id for p in qualifications.live_marking_points(evidence.element_id)}
    if set(marks) - points:
        raise DecisionRefused("A marking point does not belong to this element.")
    claimed = {p.id for p in submission.claims}
    if claimed - set(marks):
        raise DecisionRefused("Mark every marking point the learner claimed.")
    feedback = feedback.strip()
    if outcome is Outcome.REFERRED and not feedback:
        raise DecisionRefused("A referral must tell the learner what to do.")
    decision = Decision(
        submission_id=submission.id,
        assessor_id=assessor.id,
        outcome=outcome,
        feedback=feedback,
        points=[
            PointDecision(marking_point_id=mp, status=m.status, comment=m.comment.strip())
            for mp, m in sorted(marks.items())
        ],
    )
    db.session.add(decision)
    evidence_services.mark_decided(
        submission,
        EvidenceStatus.ACCEPTED if outcome is Outcome.ACCEPTED else EvidenceStatus.REFERRED,
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DecisionRefused("This submission has already been decided.") from None
    return decision


@dataclass(frozen=True)
class GridCell:
    """One marking point against one evidence item: claimed, met or not yet met."""

    status: PointStatus | None
    claimed: bool

    @property
    def label(self) -> str:
        if self.status is not None:
            return self.status.label
        return "Claimed" if self.claimed else ""


@dataclass(frozen=True)
class GridRow:
    point: MarkingPoint
    cells: tuple[GridCell, ...]

    @property
    def met(self) -> bool:
        return any(c.status is PointStatus.MET for c in self.cells)


@dataclass(frozen=True)
class ElementGrid:
    element: Element
    evidence: tuple[Evidence, ...]
    rows: tuple[GridRow, ...]

    @property
    def met_count(self) -> int:
        return sum(r.met for r in self.rows)


def tracking_grid(learner: User) -> list[ElementGrid]:
    """Per element: marking points against the learner's submitted evidence.

    A cell shows the decision on that point for the item's latest submission, or, while
    that submission awaits a decision, whether it claims the point.
    """
    items = [e for e in evidence_services.list_for_learner(learner) if e.submissions]
    decisions = decisions_for_items(items)
    grids = []
    for element in qualifications.list_elements():
        element_items = tuple(e for e in items if e.element_id == element.id)
        rows = []
        for point in qualifications.live_marking_points(element.id):
            cells = []
            for item in element_items:
                latest = item.submissions[-1]
                decision = decisions.get(latest.id)
                marks = {p.marking_point_id: p.status for p in decision.points} if decision else {}
                status = marks.get(point.id)
                claimed = any(c.id == point.id for c in latest.claims)
                cells.append(GridCell(status=status, claimed=claimed))
            rows.append(GridRow(point=point, cells=tuple(cells)))
        grids.append(ElementGrid(element=element, evidence=element_items, rows=tuple(rows)))
    return grids


@dataclass(frozen=True)
class ElementCoverage:
    """An element's marking points sorted three ways, as the tracking grid counts them: met
    (by a decision on an item's latest attempt), claimed in submitted work awaiting a
    decision, and not yet evidenced (never claimed, or judged not yet met)."""

    element: Element
    met: tuple[MarkingPoint, ...]
    claimed: tuple[MarkingPoint, ...]
    missing: tuple[MarkingPoint, ...]

    @property
    def total(self) -> int:
        return len(self.met) + len(self.claimed) + len(self.missing)


def coverage_by_element(learner: User) -> list[ElementCoverage]:
    """Per element, the tracking grid's rows summed up for the learner's home page."""
    found = []
    for grid in tracking_grid(learner):
        met, claimed, missing = [], [], []
        for row in grid.rows:
            if row.met:
                met.append(row.point)
            elif any(c.claimed and c.status is None for c in row.cells):
                claimed.append(row.point)
            else:
                missing.append(row.point)
        found.append(ElementCoverage(grid.element, tuple(met), tuple(claimed), tuple(missing)))
    return found
