"""Countersignatures and IQA samples: what the sampling rules propose, the IQAs' verdicts and
the decisions they reopen, planned and written with each item's frozen snapshot."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench.centre.base import PlannerBase
from bench.centre.evidence import EvidencePlanner
from bench.centre.records import Dec, Sampled, Taken
from bench.centre.rows import insert_rows, next_id, number
from portfolio.auth.models import Role
from portfolio.evidence.services import content_hash
from portfolio.iqa.models import Sample, SampleItem
from portfolio.iqa.sampling import Candidate, Plan, propose
from portfolio.iqa.services import Period
from portfolio.iqa.snapshot import VERSION as SNAPSHOT_VERSION


class IqaPlanner(EvidencePlanner):
    """Reviews reopen decisions and decide them again, so this builds on the evidence planner."""

    def plan_countersignatures(self) -> None:
        for d in self.decisions:
            if d.countersigned_at is None or d.countersigned_by is None:
                continue
            if d.superseded_at is not None and d.countersigned_at >= d.superseded_at:
                d.countersigned_at = d.countersigned_by = None
                continue
            self.event(
                d.countersigned_at,
                "decision.countersigned",
                "decision",
                d.countersigned_by,
                lambda d=d: (
                    d.id,
                    d.sub.item.learner.id,
                    {"countersigned_by": None},
                    {
                        "countersigned_by": d.countersigned_by.id if d.countersigned_by else None,
                        "countersigned_at": d.countersigned_at,
                        "assessor": d.assessor.id,
                        "outcome": d.outcome.value,
                    },
                ),
            )

    def plan_iqa(self) -> None:
        iqas = self.staff[Role.IQA]
        assessors = self.staff[Role.ASSESSOR]
        if not iqas or not assessors:
            return
        # Candidates name assessors by their place in the list: ids come when rows are written.
        covers = {n: iqas[n % len(iqas)] for n in range(len(assessors))}
        index = {id(a): n for n, a in enumerate(assessors)}
        plans = {n: Plan(a.status, a.percentage) for n, a in enumerate(assessors)}
        sampled: set[int] = set()
        since = self.start.date()
        taken_at = self.start + timedelta(days=40)
        while taken_at < self.now - timedelta(days=2):
            period = Period(since, taken_at.date())
            low, _ = period.bounds()
            live = [
                d
                for d in self.decisions
                if low <= d.decided_at < taken_at
                and (d.superseded_at is None or d.superseded_at > taken_at)
                and id(d) not in sampled
            ]
            keyed = {n: d for n, d in enumerate(live)}
            candidates = [self._candidate(n, d, index) for n, d in keyed.items()]
            # Each IQA takes the part of the proposal for the assessors they cover (an IQA may
            # leave items out, never add any); no IQA here assesses, so none is left out as own.
            proposal = propose(candidates, plans, -1)
            for iqa in iqas:
                mine = [
                    p
                    for p in proposal.items
                    if covers[p.candidate.assessor_id] is iqa
                    and id(keyed[p.candidate.decision_id]) not in sampled
                ]
                if not mine:
                    continue
                at = self.moment(taken_at, taken_at + timedelta(hours=6))
                sample = Taken(iqa, at, period, len(proposal.items))
                for p in mine:
                    d = keyed[p.candidate.decision_id]
                    sampled.add(id(d))
                    signed = (
                        d.countersigned_at
                        if d.countersigned_at and d.countersigned_at <= at
                        else None
                    )
                    sample.items.append(Sampled(sample, d, p.reason, signed))
                self.samples.append(sample)
                self.event(
                    at,
                    "sample.taken",
                    "sample",
                    iqa,
                    lambda s=sample: (
                        s.id,
                        None,
                        None,
                        {
                            "period": s.period.as_dict(),
                            "proposed": s.proposed,
                            "decisions": sorted(i.decision.id for i in s.items),
                        },
                    ),
                )
                for item in sample.items:
                    self._review(item)
            since = taken_at.date()
            taken_at = self.later(taken_at, 25, 35)

    def _candidate(self, key: int, d: Dec, index: dict[int, int]) -> Candidate:
        item = d.sub.item
        return Candidate(
            decision_id=key,
            decided_at=d.decided_at,
            assessor_id=index[id(d.assessor)],
            assessor_name=d.assessor.name,
            learner_id=id(item.learner),
            learner_name=item.learner.name,
            evidence_title=d.sub.item.title,
            type_id=item.type_id,
            type_title=self.types[item.type_id].title,
            element_id=item.element_id,
            element_title=self.elements[item.element_id].title,
            outcome=d.outcome,
        )

    def _review(self, s: Sampled) -> None:
        rng = self.rng
        reviewed = self.later(s.sample.created_at, 1, 25)
        if reviewed > self.now or rng.random() < 0.1:
            return  # still to review
        d = s.decision
        sub = d.sub
        final = sub.item.subs[-1] is sub and d.superseded_at is None
        disagree = final and rng.random() < 0.08
        s.reviewed_at = reviewed
        s.verdict = "disagree" if disagree else "agree"
        s.feedback = (
            "Check the claimed points against the account again: the evidence for "
            "the second point is thin."
            if disagree
            else ""
        )
        outcome = d.outcome
        if disagree:
            d.superseded_at = reviewed
            sub.item.version += 1
            again = self.later(reviewed, 0.5, 8)
            if again < self.now:
                s.resolved_at = self.decide(sub, again, outcome).decided_at
        self.event(
            reviewed,
            f"iqa.{s.verdict}d",
            "sample_item",
            s.sample.iqa,
            lambda s=s, outcome=outcome: (
                s.id,
                s.decision.sub.item.learner.id,
                {"verdict": None, "decision": s.decision.id, "outcome": outcome.value},
                {
                    "verdict": s.verdict,
                    "feedback": s.feedback,
                    "decision": s.decision.id,
                    "reopened": s.verdict == "disagree",
                },
            ),
        )


def _freeze(plan: PlannerBase, s: Sampled) -> dict[str, Any]:
    """iqa.snapshot.freeze, from the plan: the decision as it stood when sampled."""
    d, sub = s.decision, s.decision.sub
    item = sub.item
    return {
        "version": SNAPSHOT_VERSION,
        "learner": {"id": item.learner.id, "name": item.learner.name},
        "evidence": {
            "id": item.id,
            "type_id": item.type_id,
            "type_title": plan.types[item.type_id].title,
            "element_id": item.element_id,
            "element_title": plan.elements[item.element_id].title,
        },
        "submission": {
            "id": sub.id,
            "number": sub.number,
            "title": item.title,
            "content": sub.content,
            "type_version": plan.types[item.type_id].version,
            "rubric_version": plan.elements[item.element_id].version,
            "submitted_at": sub.submitted_at.isoformat(),
            "declared_name": item.learner.name,
            "content_hash": content_hash(item.title, sub.content, sub.claims),
            "claims": [
                {"id": p, "text": plan.point_text[p]}
                for p in _in_rubric_order(plan, item.element_id, sub.claims)
            ],
            "attachments": [],
        },
        "decision": {
            "id": d.id,
            "assessor": {"id": d.assessor.id, "name": d.assessor.name},
            "outcome": d.outcome.value,
            "feedback": d.feedback,
            "decided_at": d.decided_at.isoformat(),
            "needs_countersignature": d.needs_countersignature,
            "countersigned_at": s.countersigned_at.isoformat() if s.countersigned_at else None,
            "points": [
                {"id": p, "text": plan.point_text[p], "status": st.value, "comment": c.strip()}
                for p, (st, c) in sorted(d.marks.items())
            ],
        },
    }


def _in_rubric_order(plan: PlannerBase, element_id: str, ids: list[str]) -> list[str]:
    order = plan.points[element_id]
    return sorted(ids, key=order.index)


def write_samples(plan: PlannerBase) -> None:
    number(plan.samples, lambda s: s.created_at, next_id(Sample.id))
    items = [i for s in sorted(plan.samples, key=lambda s: s.id) for i in s.items]
    first = next_id(SampleItem.id)
    for n, item in enumerate(items):
        item.id = first + n
    insert_rows(
        Sample.__table__,
        (
            {
                "id": s.id,
                "iqa_id": s.iqa.id,
                "created_at": s.created_at,
                "parameters": {"period": s.period.as_dict(), "proposed": s.proposed},
            }
            for s in sorted(plan.samples, key=lambda s: s.id)
        ),
    )
    insert_rows(
        SampleItem.__table__,
        (
            {
                "id": i.id,
                "sample_id": i.sample.id,
                "decision_id": i.decision.id,
                "reason": i.reason,
                "snapshot": _freeze(plan, i),
                "verdict": i.verdict,
                "feedback": i.feedback,
                "reviewed_at": i.reviewed_at,
                "resolved_at": i.resolved_at,
            }
            for i in items
        ),
    )
