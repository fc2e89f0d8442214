"""The proposed sample, worked out from plain data: no database, no clock, so the same decisions
and plans always give the same proposal (and the tests can say exactly what it must be).

Each assessor's share is their plan's percentage of their decisions in the period, rounded up;
a trainee's is every decision. Within a share the picks spread across the CAMERA dimensions an
IQA is asked to cover: candidates (learners), methods (evidence types), elements, and interim
(referred) and final (accepted) decisions. Greedy: each pick is the decision that adds the most
values not yet covered, the oldest on a tie, and the share always holds one interim and one
final decision when the assessor made both."""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from portfolio.assessment.models import AssessorStatus, Outcome

DEFAULT_PERCENTAGE = {
    AssessorStatus.QUALIFIED: 10,
    AssessorStatus.NEW: 50,
    AssessorStatus.TRAINEE: 100,
}


class Stage(enum.StrEnum):
    """Where a decision sits in the learner's journey: a referral is interim, an acceptance
    final. IQAs sample both (Highfield: "at interim and summative stages")."""

    INTERIM = "interim"
    FINAL = "final"

    @classmethod
    def of(cls, outcome: Outcome) -> Stage:
        return cls.FINAL if outcome is Outcome.ACCEPTED else cls.INTERIM

    @property
    def phrase(self) -> str:
        if self is Stage.INTERIM:
            return "a referral (interim) decision"
        return "an acceptance (final) decision"


@dataclass(frozen=True)
class Plan:
    status: AssessorStatus
    percentage: int

    @classmethod
    def default(cls, status: AssessorStatus = AssessorStatus.QUALIFIED) -> Plan:
        return cls(status, DEFAULT_PERCENTAGE[status])


@dataclass(frozen=True)
class Candidate:
    """A live, not yet sampled decision, with what the spread is judged on."""

    decision_id: int
    decided_at: datetime
    assessor_id: int
    assessor_name: str
    learner_id: int
    learner_name: str
    evidence_title: str
    type_id: str
    type_title: str
    element_id: str
    element_title: str
    outcome: Outcome

    @property
    def stage(self) -> Stage:
        return Stage.of(self.outcome)


@dataclass(frozen=True)
class Proposed:
    candidate: Candidate
    reason: str


@dataclass(frozen=True)
class Share:
    """One assessor's part of the proposal."""

    assessor_id: int
    assessor_name: str
    plan: Plan
    decisions: int
    proposed: int


@dataclass(frozen=True)
class Proposal:
    items: tuple[Proposed, ...]
    shares: tuple[Share, ...]
    # The IQA's own decisions in the period, left out: nobody quality-assures their own work.
    own_left_out: int

    @property
    def decision_ids(self) -> set[int]:
        return {p.candidate.decision_id for p in self.items}

    def reason_for(self, decision_id: int) -> str | None:
        return next((p.reason for p in self.items if p.candidate.decision_id == decision_id), None)


def share_size(plan: Plan, decisions: int, stages: int) -> int:
    """How many of `decisions` to sample: every one for a trainee, else the percentage rounded
    up, but at least one per stage present (`stages`), unless the plan says 0%."""
    if plan.status is AssessorStatus.TRAINEE:
        return decisions
    size = math.ceil(plan.percentage * decisions / 100)
    if size == 0:
        return 0
    return min(decisions, max(size, stages))


def _dimensions(c: Candidate) -> tuple[tuple[str, object], ...]:
    return (
        ("learner", c.learner_id),
        ("type", c.type_id),
        ("element", c.element_id),
        ("stage", c.stage),
    )


def _pick(pool: Sequence[Candidate], covered: set[tuple[str, object]]) -> Candidate:
    """The candidate adding the most uncovered values; `pool` is oldest first, so the first
    best found wins a tie."""
    best, best_score = pool[0], -1
    for c in pool:
        score = sum(d not in covered for d in _dimensions(c))
        if score > best_score:
            best, best_score = c, score
    return best


def _reason(
    c: Candidate,
    new: set[tuple[str, object]],
    pool: Sequence[Candidate],
    plan: Plan,
) -> str:
    types = Counter(x.type_id for x in pool)
    elements = Counter(x.element_id for x in pool)
    parts = []
    if ("learner", c.learner_id) in new:
        parts.append(f"first decision sampled for {c.learner_name}")
    if ("type", c.type_id) in new:
        kind = c.type_title.lower()
        parts.append(f"the only {kind}" if types[c.type_id] == 1 else f"first {kind} sampled")
    if ("element", c.element_id) in new:
        parts.append(
            f"the only decision in {c.element_title}"
            if elements[c.element_id] == 1
            else f"first decision sampled in {c.element_title}"
        )
    if ("stage", c.stage) in new:
        parts.append(c.stage.phrase)
    if plan.status is AssessorStatus.TRAINEE:
        parts.append("assessor is a trainee: all decisions sampled")
    elif not parts:
        parts.append(f"makes up {c.assessor_name}'s {plan.percentage}% sample (oldest first)")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _assessor_share(pool: Sequence[Candidate], plan: Plan) -> list[Proposed]:
    stages = {c.stage for c in pool}
    size = share_size(plan, len(pool), len(stages))
    remaining = list(pool)
    covered: set[tuple[str, object]] = set()
    chosen: list[Proposed] = []
    while len(chosen) < size:
        missing = stages - {s for kind, s in covered if kind == "stage"}
        slots = size - len(chosen)
        # With no more slots than stages still missing, only those stages may be picked.
        options = (
            [c for c in remaining if c.stage in missing] if slots <= len(missing) else remaining
        )
        c = _pick(options, covered)
        new = {d for d in _dimensions(c) if d not in covered}
        covered |= new
        remaining.remove(c)
        chosen.append(Proposed(c, _reason(c, new, pool, plan)))
    return chosen


def propose(candidates: Sequence[Candidate], plans: Mapping[int, Plan], iqa_id: int) -> Proposal:
    """The sample to propose to IQA `iqa_id` from `candidates`; an assessor without a plan gets
    the qualified default."""
    ordered = sorted(candidates, key=lambda c: (c.decided_at, c.decision_id))
    own = sum(c.assessor_id == iqa_id for c in ordered)
    by_assessor: dict[int, list[Candidate]] = {}
    for c in ordered:
        if c.assessor_id != iqa_id:
            by_assessor.setdefault(c.assessor_id, []).append(c)
    items: list[Proposed] = []
    shares: list[Share] = []
    for assessor_id, pool in sorted(
        by_assessor.items(), key=lambda kv: (kv[1][0].assessor_name, kv[0])
    ):
        plan = plans.get(assessor_id, Plan.default())
        chosen = _assessor_share(pool, plan)
        shares.append(Share(assessor_id, pool[0].assessor_name, plan, len(pool), len(chosen)))
        items.extend(
            sorted(chosen, key=lambda p: (p.candidate.decided_at, p.candidate.decision_id))
        )
    return Proposal(tuple(items), tuple(shares), own)
