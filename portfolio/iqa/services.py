"""Internal quality assurance: sampling plans, the samples taken, the IQA's verdict on each
sampled decision, and the assessor's answer. Every change is written to the audit trail in the
same transaction. Proposing and taking a sample live in proposals.py (re-exported here);
countersigning in countersigning.py. Every list pages in SQL and counts in SQL."""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CompoundSelect, Select, and_, func, literal, select, union_all, update
from sqlalchemy.orm import aliased, joinedload

from portfolio.assessment import services as assessment
from portfolio.assessment.caseload import Named
from portfolio.assessment.models import AssessorStatus, Decision, SamplingPlan
from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User, UserRole
from portfolio.core import audit
from portfolio.core.paging import PAGE_SIZE, PageArg, Paged, paged, paginate, paginate_bound
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.iqa.models import Sample, SampleItem, Verdict
from portfolio.iqa.proposals import (
    DEFAULT_PERIOD_DAYS,
    Filters,
    Period,
    ProposalPage,
    Refused,
    Worked,
    default_period,
    proposal_page,
    propose_sample,
    take_proposal,
    take_sample,
    version_query,
)
from portfolio.iqa.sampling import Plan

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "Filters",
    "Period",
    "ProposalPage",
    "Refused",
    "Worked",
    "default_period",
    "proposal_page",
    "propose_sample",
    "take_proposal",
    "take_sample",
]


# Sampling plans


@dataclass(frozen=True)
class PlanRow:
    assessor: Named  # id and name
    plan: Plan
    # When the assessor's own plan was last changed; None while they are on the default plan
    # for a qualified assessor.
    changed_at: datetime | None
    # Decisions the assessor made in the last 90 days, and how many of those were sampled.
    decisions: int = 0
    sampled: int = 0

    @property
    def sampled_percentage(self) -> int:
        return round(100 * self.sampled / self.decisions) if self.decisions else 0


def get_assessor(user_id: int) -> User | None:
    user = accounts.get_user(user_id)
    return user if user is not None and user.has_role(Role.ASSESSOR) else None


def plans() -> dict[int, Plan]:
    rows = db.session.scalars(select(SamplingPlan))
    return {r.assessor_id: Plan(r.status, r.percentage) for r in rows}


# Built once (core.paging.paged): building the select and its cache key each request cost
# about what running it does.
_PLAN_ROWS = paged(
    select(  # type: ignore[arg-type]
        User.id,
        User.name,
        SamplingPlan.status,
        SamplingPlan.percentage,
        SamplingPlan.updated_at,
    )
    .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.ASSESSOR))
    .outerjoin(SamplingPlan, SamplingPlan.assessor_id == User.id)
    .order_by(User.name, User.id)
)
# One row per assessor (their plan is keyed by them): counted from their roles alone.
_ASSESSORS = select(func.count()).select_from(UserRole).where(UserRole.role == Role.ASSESSOR)


def plan_rows(asked: PageArg | None = None, today: date | None = None) -> Paged[PlanRow]:
    """Assessors by name, a page at a time, each with their plan and, counted by the database
    for the page's assessors only, their decisions of the last 90 days and how many of those
    were sampled. The columns shown are read, not User and SamplingPlan entities."""
    total = db.session.scalar(_ASSESSORS) or 0
    page = paginate_bound(_PLAN_ROWS, {}, asked or PageArg(), total)
    ids = [row.id for row in page.items]
    since = datetime.combine(
        (today or utcnow().date()) - timedelta(days=DEFAULT_PERIOD_DAYS), time(), UTC
    )
    counts = _kept_counts(tuple(ids), since) if ids else {}
    rows = []
    for row in page.items:
        saved = row.updated_at is not None
        plan = Plan(row.status, row.percentage) if saved else Plan.default()
        decisions = counts.get(("decisions", row.id), 0)
        sampled = counts.get(("sampled", row.id), 0)
        rows.append(PlanRow(Named(row.id, row.name), plan, row.updated_at, decisions, sampled))
    return dataclasses.replace(page, items=rows)


_COUNTS_KEPT = 8
_counts_lock = threading.Lock()


def _kept_counts(assessor_ids: tuple[int, ...], since: datetime) -> dict[tuple[str, int], int]:
    """_counts, kept per process while nothing they depend on changes, as the worked-out
    proposals are (proposals.version_query): decisions are never deleted and their maker and
    time never change, sample items are only added, so while the newest decision and sample
    item stay the same, so do the counts. One statement of index look-ups when kept."""
    key = (assessor_ids, since, tuple(db.session.execute(version_query()).one()))
    kept: OrderedDict[tuple[Any, ...], dict[tuple[str, int], int]]
    kept = current_app.extensions.setdefault("portfolio.iqa.plan_counts", OrderedDict())
    with _counts_lock:
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    found = {
        (what, assessor_id): n
        for what, assessor_id, n in db.session.execute(_counts(assessor_ids, since))
    }
    with _counts_lock:
        kept[key] = found
        while len(kept) > _COUNTS_KEPT:
            kept.popitem(last=False)
    return found


@functools.lru_cache(maxsize=64)
def _counts(assessor_ids: tuple[int, ...], since: datetime) -> CompoundSelect[Any]:
    """("decisions", assessor, n): these assessors' decisions since then, counted from the
    (assessor, decided_at) index; ("sampled", assessor, n): the sample items on them, counted
    from the samples taken since then, for every assessor (a few rows). A sample holds only
    decisions made before it was taken, so those samples hold every one sampled: a few thousand
    items to look up, where probing the samples of each of tens of thousands of decisions took
    three times as long. (The statement is remembered by its inputs: the SQL runs every time.)"""
    decisions = (
        select(literal("decisions"), Decision.assessor_id, func.count())
        .where(Decision.assessor_id.in_(assessor_ids), Decision.decided_at >= since)
        .group_by(Decision.assessor_id)
    )
    sampled = (
        select(literal("sampled"), Decision.assessor_id, func.count(SampleItem.id))
        .select_from(Sample)
        .join(SampleItem, SampleItem.sample_id == Sample.id)
        .join(Decision, Decision.id == SampleItem.decision_id)
        .where(Sample.created_at >= since, Decision.decided_at >= since)
        .group_by(Decision.assessor_id)
    )
    return union_all(decisions, sampled)


def plan_for(assessor: User) -> Plan:
    row = db.session.get(SamplingPlan, assessor.id)
    return Plan(row.status, row.percentage) if row else Plan.default()


def change_plan(assessor: User, status: AssessorStatus, percentage: int, by: User) -> bool:
    """Set an assessor's plan; False when it already said exactly that (nothing is written)."""
    if not 0 <= percentage <= 100:
        raise Refused("The percentage must be between 0 and 100.")
    if status is AssessorStatus.TRAINEE and percentage != 100:
        raise Refused("Every decision of a trainee assessor is sampled: the percentage is 100.")
    before = plan_for(assessor)
    if before == Plan(status, percentage):
        return False
    row = db.session.get(SamplingPlan, assessor.id)
    if row is None:
        row = SamplingPlan(assessor_id=assessor.id)
        db.session.add(row)
    row.status, row.percentage = status, percentage
    row.updated_at, row.updated_by_id = utcnow(), by.id
    audit.record(
        "sampling_plan.changed",
        "sampling_plan",
        assessor.id,
        actor_id=by.id,
        before={"status": before.status.value, "percentage": before.percentage},
        after={"status": status.value, "percentage": percentage},
    )
    db.session.commit()
    return True


def get_sample(sample_id: int) -> Sample | None:
    return db.session.get(Sample, sample_id)


def get_item(sample_id: int, item_id: int) -> SampleItem | None:
    item = db.session.get(SampleItem, item_id)
    return item if item is not None and item.sample_id == sample_id else None


# The samples taken


@dataclass(frozen=True)
class Tally:
    """How far the review of a sample has got, counted by the database."""

    decisions: int = 0
    reviewed: int = 0
    disagreed: int = 0


def tallies(sample_ids: Collection[int]) -> dict[int, Tally]:
    """Each sample's decisions, reviewed and disagreed: one GROUP BY over their items, by
    sample and verdict (the (sample, verdict) index alone, a few rows a sample), summed here."""
    if not sample_ids:
        return {}
    rows = db.session.execute(_tallies_query(tuple(sample_ids)))
    counted: dict[int, list[int]] = {}
    for sample_id, verdict, n in rows:
        decisions, reviewed, disagreed = counted.setdefault(sample_id, [0, 0, 0])
        counted[sample_id] = [
            decisions + n,
            reviewed + (n if verdict is not None else 0),
            disagreed + (n if verdict is Verdict.DISAGREE else 0),
        ]
    return {sample_id: Tally(*found) for sample_id, found in counted.items()}


# The list's statements, remembered by their inputs (building them costs more than running
# them on a page's rows): statements only, the SQL runs on every request.
_remembered = functools.lru_cache(maxsize=256)


@_remembered
def _tallies_query(sample_ids: tuple[int, ...]) -> Select[Any]:
    query = (
        select(SampleItem.sample_id, SampleItem.verdict, func.count())
        .where(SampleItem.sample_id.in_(sample_ids))
        .group_by(SampleItem.sample_id, SampleItem.verdict)
    )
    return cast(Select[Any], query)


@_remembered
def _samples_query(after: int | None) -> Select[Any]:
    query = select(Sample.id, Sample.created_at, Sample.parameters, User.name).join(
        User, User.id == Sample.iqa_id
    )
    if after is not None:
        query = query.where(Sample.id < after)
    return cast(Select[Any], query.order_by(Sample.id.desc()).limit(PAGE_SIZE + 1))


_SAMPLES_COUNT = select(func.count(Sample.id))


@dataclass(frozen=True)
class SampleLine:
    """A sample as the list of samples shows it, read as columns (no entities)."""

    id: int
    created_at: datetime
    taken_by: str  # the IQA's name
    period: tuple[date, date] | None  # as Sample.period reads it from the parameters
    tally: Tally


def _period(parameters: dict[str, Any]) -> tuple[date, date] | None:
    found = parameters.get("period")
    if not found:
        return None
    return date.fromisoformat(found["since"]), date.fromisoformat(found["until"])


def samples_page(after: int | None) -> Paged[SampleLine]:
    """The samples taken, newest first, 50 at a time by keyset on the id (as core.paging.keyset
    pages, reading the columns shown and the IQA's name rather than entities)."""
    total = db.session.scalar(_SAMPLES_COUNT) or 0
    rows = db.session.execute(_samples_query(after)).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    counted = tallies([r.id for r in rows])
    lines = [
        SampleLine(r.id, r.created_at, r.name, _period(r.parameters), counted.get(r.id, Tally()))
        for r in rows
    ]
    return Paged(
        lines,
        total,
        size=PAGE_SIZE,
        next_cursor=rows[-1].id if more and rows else None,
        keyset=True,
        extra={"after": after},
    )


def sample_items_query(sample_id: int) -> Select[Any]:
    """A sample's items in the order they were sampled."""
    query = select(SampleItem).where(SampleItem.sample_id == sample_id).order_by(SampleItem.id)
    return cast(Select[Any], query)


def sample_items(sample: Sample, asked: PageArg) -> Paged[SampleItem]:
    """One page of a sample's items."""
    return paginate(sample_items_query(sample.id), asked)


# The IQA's verdict, and the assessor's answer to a disagreement


def review_item(item: SampleItem, iqa: User, verdict: Verdict, feedback: str) -> None:
    """Record the IQA's verdict. A disagreement reopens the decision for its assessor in the
    same transaction: it is superseded (kept as history) and the submission awaits a new one."""
    feedback = feedback.strip()
    decision = item.decision
    if item.sample.iqa_id != iqa.id:
        # The sample's IQA answers for its verdicts: the item records no other reviewer.
        raise Refused(f"Only {item.sample.iqa.name}, who took this sample, can review it.")
    if decision.assessor_id == iqa.id:
        raise Refused("You cannot review your own assessment decision.")
    if verdict is Verdict.DISAGREE and not feedback:
        raise Refused("Say what the assessor should look at again.")
    now = utcnow()
    # Conditional, so a second verdict (another tab, another IQA) cannot overwrite the first.
    reviewed = db.session.execute(
        update(SampleItem)
        .where(SampleItem.id == item.id, SampleItem.verdict.is_(None))
        .values(verdict=verdict, feedback=feedback, reviewed_at=now)
    )
    if reviewed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise Refused("This decision has already been reviewed.")
    learner_id = decision.submission.evidence.learner_id
    before = {"verdict": None, "decision": decision.id, "outcome": decision.outcome.value}
    if verdict is Verdict.DISAGREE:
        try:
            assessment.reopen_decision(decision, iqa)
        except assessment.DecisionRefused as refused:
            db.session.rollback()
            raise Refused(f"{refused} Your verdict was not recorded.") from None
    audit.record(
        f"iqa.{verdict.value}d",
        "sample_item",
        item.id,
        actor_id=iqa.id,
        learner_id=learner_id,
        before=before,
        after={
            "verdict": verdict.value,
            "feedback": feedback,
            "decision": decision.id,
            "reopened": verdict is Verdict.DISAGREE,
        },
    )
    db.session.commit()


def answer_to(item: SampleItem) -> Decision | None:
    """The assessor's new decision on a submission the IQA reopened, once made."""
    if item.verdict is not Verdict.DISAGREE:
        return None
    return db.session.scalar(
        select(Decision).where(
            Decision.submission_id == item.decision.submission_id,
            Decision.superseded_at.is_(None),
            Decision.id != item.decision_id,
        )
    )


def _answer_of() -> tuple[type[Decision], type[Decision]]:
    """The sampled (old) decision and the assessor's new one on the same submission."""
    return aliased(Decision), aliased(Decision)


def answers_for(items: Sequence[SampleItem]) -> dict[int, Decision]:
    """The assessor's new decisions answering these items' disagreements, by item id: one
    statement for a page of items."""
    disagreed = [i.id for i in items if i.verdict is Verdict.DISAGREE]
    if not disagreed:
        return {}
    old, new = _answer_of()
    rows = db.session.execute(
        select(SampleItem.id, new)
        .join(old, old.id == SampleItem.decision_id)
        .join(
            new,
            and_(
                new.submission_id == old.submission_id,
                new.superseded_at.is_(None),
                new.id != old.id,
            ),
        )
        .where(SampleItem.id.in_(disagreed))
    )
    return {r[0]: r[1] for r in rows}


def resolve(sample_id: int) -> None:
    """Store when each disagreement in a sample was answered (the new decision's time), the
    first time it is seen: one read, and one UPDATE only when there is something to store."""
    old, new = _answer_of()
    answered = (
        select(func.min(new.decided_at))
        .select_from(old)
        .join(
            new,
            and_(
                new.submission_id == old.submission_id,
                new.superseded_at.is_(None),
                new.id != old.id,
            ),
        )
        .where(old.id == SampleItem.decision_id)
        .scalar_subquery()
    )
    waiting = (
        SampleItem.sample_id == sample_id,
        SampleItem.verdict == Verdict.DISAGREE,
        SampleItem.resolved_at.is_(None),
        answered.is_not(None),
    )
    if db.session.scalar(select(SampleItem.id).where(*waiting).limit(1)) is None:
        return
    db.session.execute(
        update(SampleItem)
        .where(*waiting)
        .values(resolved_at=answered)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def answers(sample: Sample) -> dict[int, Decision]:
    """The new decisions answering this sample's disagreements, by item id; an item counts as
    resolved from its new decision's time, stored the first time it is seen."""
    resolve(sample.id)
    return answers_for(sample.items)


def reopened_feedback(submission_id: int) -> Sequence[SampleItem]:
    """The IQA's disagreements with earlier decisions on a submission, for its assessor."""
    return db.session.scalars(
        select(SampleItem)
        .join(Decision, SampleItem.decision_id == Decision.id)
        .where(
            Decision.submission_id == submission_id,
            SampleItem.verdict == Verdict.DISAGREE,
        )
        .order_by(SampleItem.reviewed_at)
    ).all()


def items_for_decisions(decision_ids: Collection[int]) -> Sequence[SampleItem]:
    """Every sample item on these decisions, with its sample and IQA, oldest first: what the
    portfolio PDF reports of IQA and what an EQA sample is made of."""
    if not decision_ids:
        return []
    return db.session.scalars(
        select(SampleItem)
        .where(SampleItem.decision_id.in_(decision_ids))
        .options(joinedload(SampleItem.sample).joinedload(Sample.iqa))
        .order_by(SampleItem.id)
    ).all()
