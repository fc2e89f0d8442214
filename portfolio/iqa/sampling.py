"""The proposed sample, worked out from plain data: no database, no clock, so the same decisions
and plans always give the same proposal (and the tests can say exactly what it must be).

Each assessor's share is their plan's percentage of their decisions in the period, rounded up;
a trainee's is every decision. Within a share the picks spread across the CAMERA dimensions an
IQA is asked to cover: candidates (learners), methods (evidence types), elements, and interim
(referred) and final (accepted) decisions. Greedy: each pick is the decision that adds the most
values not yet covered, the oldest on a tie, and the share always holds one interim and one
final decision when the assessor made both.

The spread needs only ids (`Spreadable`), so a centre's 40,000 decisions are read as a few
columns each; names and titles are looked up for the picks shown, and the reason is written
from what each pick added (`Pick`). A pick's score only ever falls as values are covered, so
candidates wait in buckets by their last known score (a heap each, oldest first) and are
re-scored only when they reach the front: about n log n for a share, not n x share."""

from __future__ import annotations

import enum
import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

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
    def label(self) -> str:
        return {"interim": "Interim (referred)", "final": "Final (accepted)"}[self.value]

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


class Spreadable(Protocol):
    """What the spread is judged on: a decision's id, maker, learner, type, element, stage."""

    @property
    def decision_id(self) -> int: ...
    @property
    def assessor_id(self) -> int: ...
    @property
    def learner_id(self) -> int: ...
    @property
    def type_id(self) -> str: ...
    @property
    def element_id(self) -> str: ...
    @property
    def stage(self) -> Stage: ...


S = TypeVar("S", bound=Spreadable)


@dataclass(frozen=True)
class Candidate:
    """A live, not yet sampled decision, with what the spread is judged on and its names."""

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
class Pick(Generic[S]):
    """A decision the spread chose, and what it added that no earlier pick had covered."""

    row: S
    new_learner: bool
    new_type: bool
    new_element: bool
    new_stage: bool
    # The assessor made only one decision of this type / in this element in the period.
    only_type: bool
    only_element: bool


def describe(
    pick: Pick[S],
    plan: Plan,
    *,
    learner_name: str,
    type_title: str,
    element_title: str,
    assessor_name: str,
) -> str:
    """Why `pick` was chosen, in words, from what it added."""
    parts = []
    if pick.new_learner:
        parts.append(f"first decision sampled for {learner_name}")
    if pick.new_type:
        kind = type_title.lower()
        parts.append(f"the only {kind}" if pick.only_type else f"first {kind} sampled")
    if pick.new_element:
        parts.append(
            f"the only decision in {element_title}"
            if pick.only_element
            else f"first decision sampled in {element_title}"
        )
    if pick.new_stage:
        parts.append(pick.row.stage.phrase)
    if plan.status is AssessorStatus.TRAINEE:
        parts.append("assessor is a trainee: all decisions sampled")
    elif not parts:
        parts.append(f"makes up {assessor_name}'s {plan.percentage}% sample (oldest first)")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def share_size(plan: Plan, decisions: int, stages: int) -> int:
    """How many of `decisions` to sample: every one for a trainee, else the percentage rounded
    up, but at least one per stage present (`stages`), unless the plan says 0%."""
    if plan.status is AssessorStatus.TRAINEE:
        return decisions
    size = math.ceil(plan.percentage * decisions / 100)
    if size == 0:
        return 0
    return min(decisions, max(size, stages))


def spread(pool: Sequence[S], plan: Plan) -> list[Pick[S]]:
    """One assessor's share of `pool` (their decisions, oldest first), in the order picked."""
    stage_of = [c.stage for c in pool]
    stages = set(stage_of)
    size = share_size(plan, len(pool), len(stages))
    if size == 0:
        return []
    types = Counter(c.type_id for c in pool)
    elements = Counter(c.element_id for c in pool)
    learners: set[int] = set()
    kinds: set[str] = set()
    places: set[str] = set()
    covered_stages: set[Stage] = set()

    def score(i: int) -> int:
        c = pool[i]
        return (
            (c.learner_id not in learners)
            + (c.type_id not in kinds)
            + (c.element_id not in places)
            + (stage_of[i] not in covered_stages)
        )

    # buckets[stage][s]: positions in `pool` last scored s, a heap so the oldest is in front.
    buckets: dict[Stage, list[list[int]]] = {s: [[] for _ in range(5)] for s in stages}
    for i, s in enumerate(stage_of):
        buckets[s][4].append(i)  # in order already, so a valid heap

    # The highest bucket of each stage that may still hold someone: scores never rise.
    tops = dict.fromkeys(stages, 4)

    def best(stage: Stage) -> tuple[int, int] | None:
        """(score, position) of the oldest candidate of `stage` with the highest score."""
        levels = buckets[stage]
        for level in range(tops[stage], -1, -1):
            heap = levels[level]
            while heap:
                now = score(heap[0])
                if now == level:
                    return level, heap[0]
                heapq.heappush(levels[now], heapq.heappop(heap))
            tops[stage] = level - 1
        return None

    chosen: list[Pick[S]] = []
    while len(chosen) < size:
        missing = stages - covered_stages
        # With no more slots than stages still missing, only those stages may be picked.
        allowed = missing if size - len(chosen) <= len(missing) else stages
        found = [b for b in (best(s) for s in allowed) if b is not None]
        level, i = min(found, key=lambda b: (-b[0], b[1]))
        heapq.heappop(buckets[stage_of[i]][level])
        c = pool[i]
        pick = Pick(
            c,
            new_learner=c.learner_id not in learners,
            new_type=c.type_id not in kinds,
            new_element=c.element_id not in places,
            new_stage=stage_of[i] not in covered_stages,
            only_type=types[c.type_id] == 1,
            only_element=elements[c.element_id] == 1,
        )
        learners.add(c.learner_id)
        kinds.add(c.type_id)
        places.add(c.element_id)
        covered_stages.add(stage_of[i])
        chosen.append(pick)
    return chosen


@dataclass(frozen=True)
class Chosen(Generic[S]):
    """One assessor's part: their decisions in the period and the picks, oldest first."""

    assessor_id: int
    plan: Plan
    decisions: int
    picks: tuple[Pick[S], ...]


def choose(
    ordered: Iterable[S], plans: Mapping[int, Plan], iqa_id: int, *, key: Callable[[S], Any]
) -> tuple[list[Chosen[S]], int]:
    """Every assessor's share of `ordered` (oldest first), leaving out the IQA's own, and how
    many of the IQA's own there were. `key` gives a row's place in `ordered`."""
    own = 0
    by_assessor: dict[int, list[S]] = {}
    for c in ordered:
        if c.assessor_id == iqa_id:
            own += 1
        else:
            by_assessor.setdefault(c.assessor_id, []).append(c)
    parts = []
    for assessor_id, pool in by_assessor.items():
        plan = plans.get(assessor_id, Plan.default())
        picks = sorted(spread(pool, plan), key=lambda p: key(p.row))
        parts.append(Chosen(assessor_id, plan, len(pool), tuple(picks)))
    return parts, own


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


def _when(c: Candidate) -> tuple[datetime, int]:
    return c.decided_at, c.decision_id


def propose(candidates: Sequence[Candidate], plans: Mapping[int, Plan], iqa_id: int) -> Proposal:
    """The sample to propose to IQA `iqa_id` from `candidates`; an assessor without a plan gets
    the qualified default."""
    ordered = sorted(candidates, key=_when)
    names = {c.assessor_id: c.assessor_name for c in reversed(ordered)}
    parts, own = choose(ordered, plans, iqa_id, key=_when)
    parts.sort(key=lambda part: (names[part.assessor_id], part.assessor_id))
    items: list[Proposed] = []
    shares: list[Share] = []
    for part in parts:
        shares.append(
            Share(
                part.assessor_id,
                names[part.assessor_id],
                part.plan,
                part.decisions,
                len(part.picks),
            )
        )
        for pick in part.picks:
            c = pick.row
            reason = describe(
                pick,
                part.plan,
                learner_name=c.learner_name,
                type_title=c.type_title,
                element_title=c.element_title,
                assessor_name=c.assessor_name,
            )
            items.append(Proposed(c, reason))
    return Proposal(tuple(items), tuple(shares), own)
