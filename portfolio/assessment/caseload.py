"""Work waiting for assessors, against the turnaround clock: each assessor's queue with due
dates, their learners with counts, the date a learner can expect a decision, and every overdue
item for the internal quality assurers. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from portfolio.assessment import turnaround
from portfolio.assessment.models import Decision
from portfolio.assessment.spec import CalendarSpec, load_calendar
from portfolio.assessment.turnaround import Clock, ClockState
from portfolio.auth import services as accounts
from portfolio.auth.models import User
from portfolio.db import utcnow
from portfolio.evidence.models import Evidence, EvidenceStatus, Submission
from portfolio.extensions import db

# Working days are the centre's: a submission made at 00:30 on a summer Tuesday in London was
# made on the Tuesday, though it is still Monday in UTC.
_LOCAL = ZoneInfo("Europe/London")


def calendar() -> CalendarSpec:
    """The holidays file, parsed once per app."""
    cache: dict[str, Any] = current_app.extensions.setdefault("portfolio.calendar", {})
    if "spec" not in cache:
        cache["spec"] = load_calendar(Path(current_app.config["CONTENT_DIR"]))
    spec: CalendarSpec = cache["spec"]
    return spec


def turnaround_days() -> int:
    return int(current_app.config.get("TURNAROUND_DAYS", turnaround.DEFAULT_DAYS))


def local_date(moment: datetime) -> date:
    return moment.astimezone(_LOCAL).date()


def today() -> date:
    return local_date(utcnow())


def _clock(started: datetime, on: date | None) -> Clock:
    return turnaround.clock(local_date(started), on or today(), turnaround_days(), calendar().dates)


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


def _awaiting() -> Any:
    """Submissions whose item is submitted and which have no live decision: the latest attempt
    of each item waiting for its assessor."""
    return (
        select(Submission)
        .join(Evidence, Submission.evidence_id == Evidence.id)
        .outerjoin(
            Decision,
            and_(Decision.submission_id == Submission.id, Decision.superseded_at.is_(None)),
        )
        .where(Decision.id.is_(None), Evidence.status == EvidenceStatus.SUBMITTED)
        .options(
            joinedload(Submission.evidence).joinedload(Evidence.learner),
            joinedload(Submission.evidence).joinedload(Evidence.element),
        )
    )


def reopened_decisions(submission_ids: Sequence[int]) -> dict[int, Decision]:
    """The most recently superseded decision of each of these submissions, if any."""
    if not submission_ids:
        return {}
    rows = db.session.scalars(
        select(Decision)
        .where(Decision.submission_id.in_(submission_ids), Decision.superseded_at.is_not(None))
        .order_by(Decision.superseded_at)
    )
    return {d.submission_id: d for d in rows}  # the latest wins


def _items(submissions: Sequence[Submission], on: date | None) -> list[QueueItem]:
    reopened = reopened_decisions([s.id for s in submissions])
    items = []
    for submission in submissions:
        sent_back = reopened.get(submission.id)
        # A reopened item gets a full turnaround again: the assessor could not have decided it
        # again before the IQA sent it back.
        started = sent_back.superseded_at if sent_back and sent_back.superseded_at else None
        clock = _clock(started or submission.submitted_at, on)
        items.append(QueueItem(submission, clock, sent_back))
    # Oldest first, by when a decision is due: the same as by submission date, except that a
    # reopened item takes its place by its new due date.
    return sorted(items, key=lambda i: (i.clock.due, i.submission.submitted_at, i.submission.id))


def queue_item(submission: Submission, on: date | None = None) -> QueueItem | None:
    """This submission as it stands in the queue, or None when it is not waiting."""
    evidence = submission.evidence
    if evidence.status is not EvidenceStatus.SUBMITTED or evidence.latest is not submission:
        return None
    return _items([submission], on)[0]


def queue_items(assessor: User, on: date | None = None) -> list[QueueItem]:
    """This assessor's learners' submissions awaiting a decision, each with its clock."""
    submissions = db.session.scalars(
        _awaiting()
        .join(User, Evidence.learner_id == User.id)
        .where(User.assessor_id == assessor.id)
    ).all()
    return _items(submissions, on)


def overdue_decisions(on: date | None = None) -> list[QueueItem]:
    """Every item past its due date, across all assessors, the latest first: what the IQAs
    are told about. `item.learner.assessor` is whose it is (None: nobody is assigned)."""
    items = _items(db.session.scalars(_awaiting()).unique().all(), on)
    late = [i for i in items if i.clock.state is ClockState.OVERDUE]
    return sorted(late, key=lambda i: (-i.clock.days, i.submission.submitted_at))


def expected_decision(evidence: Evidence) -> date | None:
    """When the learner can expect a decision on this item: its due date while it waits for
    one, else None."""
    latest = evidence.latest
    if evidence.status is not EvidenceStatus.SUBMITTED or latest is None:
        return None
    sent_back = reopened_decisions([latest.id]).get(latest.id)
    started = sent_back.superseded_at if sent_back and sent_back.superseded_at else None
    return _clock(started or latest.submitted_at, None).due


@dataclass(frozen=True)
class LearnerLoad:
    """One learner on an assessor's caseload, with their items counted."""

    learner: User
    waiting: int
    overdue: int
    referred: int
    accepted: int


def caseload_summary(assessor: User, items: Sequence[QueueItem]) -> list[LearnerLoad]:
    """The assessor's learners by name; `items` is their queue (from queue_items)."""
    learners = accounts.caseload(assessor)
    counts: dict[tuple[int, EvidenceStatus], int] = {}
    if learners:
        rows = db.session.execute(
            select(Evidence.learner_id, Evidence.status, func.count())
            .where(Evidence.learner_id.in_([u.id for u in learners]))
            .group_by(Evidence.learner_id, Evidence.status)
        )
        counts = {(learner_id, status): n for learner_id, status, n in rows}
    return [
        LearnerLoad(
            learner=u,
            waiting=sum(1 for i in items if i.learner.id == u.id),
            overdue=sum(
                1 for i in items if i.learner.id == u.id and i.clock.state is ClockState.OVERDUE
            ),
            referred=counts.get((u.id, EvidenceStatus.REFERRED), 0),
            accepted=counts.get((u.id, EvidenceStatus.ACCEPTED), 0),
        )
        for u in learners
    ]
