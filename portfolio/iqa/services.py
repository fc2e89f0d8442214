"""Internal quality assurance: sampling plans, proposing and taking samples, the IQA's verdict on
each sampled decision, and countersigning trainee assessors' decisions. Every change is written
to the audit trail in the same transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from portfolio.assessment import services as assessment
from portfolio.assessment.models import AssessorStatus, Decision, SamplingPlan
from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.core import audit
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, Submission
from portfolio.extensions import db
from portfolio.iqa import snapshot
from portfolio.iqa.models import Sample, SampleItem, Verdict
from portfolio.iqa.sampling import Candidate, Plan, Proposal, propose

DEFAULT_PERIOD_DAYS = 90


class Refused(Exception):
    """The change was not made; the message says why, for the person who asked."""


# Sampling plans


@dataclass(frozen=True)
class PlanRow:
    assessor: User
    plan: Plan
    # None while the assessor is on the default plan for a qualified assessor.
    saved: SamplingPlan | None


def get_assessor(user_id: int) -> User | None:
    user = accounts.get_user(user_id)
    return user if user is not None and user.has_role(Role.ASSESSOR) else None


def plans() -> dict[int, Plan]:
    rows = db.session.scalars(select(SamplingPlan))
    return {r.assessor_id: Plan(r.status, r.percentage) for r in rows}


def plan_rows() -> list[PlanRow]:
    saved = {r.assessor_id: r for r in db.session.scalars(select(SamplingPlan))}
    rows = []
    for assessor in accounts.users_with_role(Role.ASSESSOR):
        row = saved.get(assessor.id)
        plan = Plan(row.status, row.percentage) if row else Plan.default()
        rows.append(PlanRow(assessor, plan, row))
    return sorted(rows, key=lambda r: (r.assessor.name, r.assessor.id))


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


# Proposing and taking a sample


@dataclass(frozen=True)
class Period:
    """Whole days, both ends included, in UTC like every stored time."""

    since: date
    until: date

    def bounds(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.since, time(), UTC)
        return start, datetime.combine(self.until + timedelta(days=1), time(), UTC)

    def as_dict(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def default_period(today: date | None = None) -> Period:
    """From the day of the last sample anyone took (or the last 90 days) to today."""
    today = today or utcnow().date()
    last = db.session.scalar(select(func.max(Sample.created_at)))
    since = last.date() if last else today - timedelta(days=DEFAULT_PERIOD_DAYS)
    return Period(min(since, today), today)


def _candidates(period: Period, lock: bool = False) -> list[Candidate]:
    start, end = period.bounds()
    sampled = select(SampleItem.decision_id)
    query = (
        select(Decision)
        .where(
            Decision.superseded_at.is_(None),
            Decision.decided_at >= start,
            Decision.decided_at < end,
            Decision.id.not_in(sampled),
        )
        .options(
            joinedload(Decision.assessor),
            joinedload(Decision.submission)
            .joinedload(Submission.evidence)
            .options(joinedload(Evidence.learner), joinedload(Evidence.element)),
        )
        .order_by(Decision.decided_at, Decision.id)
    )
    if lock:
        # Two clicks on "Take this sample" (or two IQAs at once): the second waits here for
        # the first to commit, then finds those decisions sampled.
        query = query.with_for_update(of=Decision)
    types = evidence_services.evidence_types()
    found = []
    for d in db.session.scalars(query).unique():
        evidence = d.submission.evidence
        spec = types.get(evidence.type_id)
        found.append(
            Candidate(
                decision_id=d.id,
                decided_at=d.decided_at,
                assessor_id=d.assessor_id,
                assessor_name=d.assessor.name,
                learner_id=evidence.learner_id,
                learner_name=evidence.learner.name,
                evidence_title=d.submission.title,
                type_id=evidence.type_id,
                type_title=spec.title if spec else evidence.type_id,
                element_id=evidence.element_id,
                element_title=evidence.element.title,
                outcome=d.outcome,
            )
        )
    return found


def propose_sample(iqa: User, period: Period) -> Proposal:
    """What to sample from the live, not yet sampled decisions made in `period`."""
    return propose(_candidates(period), plans(), iqa.id)


def take_sample(iqa: User, period: Period, decision_ids: Collection[int]) -> Sample:
    """Sample the chosen decisions of the proposal (the IQA may leave some out, never add
    any), each frozen as it stands now."""
    if not decision_ids:
        raise Refused("Choose at least one decision to sample.")
    own = select(func.count()).where(Decision.id.in_(decision_ids), Decision.assessor_id == iqa.id)
    if db.session.scalar(own):
        raise Refused("You cannot sample your own assessment decisions.")
    candidates = _candidates(period, lock=True)
    proposal = propose(candidates, plans(), iqa.id)
    if not set(decision_ids) <= proposal.decision_ids:
        db.session.rollback()
        raise Refused(
            "The proposal has changed since you opened it (or a decision was not in it): "
            "check it again and take the sample."
        )
    sample = Sample(
        iqa_id=iqa.id, parameters={"period": period.as_dict(), "proposed": len(proposal.items)}
    )
    for proposed in proposal.items:
        c = proposed.candidate
        if c.decision_id not in decision_ids:
            continue
        decision = db.session.get(Decision, c.decision_id)
        assert decision is not None  # locked above
        sample.items.append(
            SampleItem(
                decision_id=decision.id,
                reason=proposed.reason,
                snapshot=snapshot.freeze(decision, c.type_title),
            )
        )
    db.session.add(sample)
    db.session.flush()
    audit.record(
        "sample.taken",
        "sample",
        sample.id,
        actor_id=iqa.id,
        after={
            "period": period.as_dict(),
            "proposed": len(proposal.items),
            "decisions": sorted(decision_ids),
        },
    )
    db.session.commit()
    return sample


def list_samples() -> Sequence[Sample]:
    return db.session.scalars(
        select(Sample)
        .options(selectinload(Sample.items), joinedload(Sample.iqa))
        .order_by(Sample.created_at.desc(), Sample.id.desc())
    ).all()


def get_sample(sample_id: int) -> Sample | None:
    return db.session.get(Sample, sample_id)


def get_item(sample_id: int, item_id: int) -> SampleItem | None:
    item = db.session.get(SampleItem, item_id)
    return item if item is not None and item.sample_id == sample_id else None


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


def answers(sample: Sample) -> dict[int, Decision]:
    """The new decisions answering this sample's disagreements, by item id. An item counts as
    resolved from its new decision's time, stored the first time it is seen."""
    found: dict[int, Decision] = {}
    for item in sample.items:
        answer = answer_to(item)
        if answer is None:
            continue
        found[item.id] = answer
        if item.resolved_at is None:
            item.resolved_at = answer.decided_at
    if db.session.dirty:
        db.session.commit()
    return found


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
