"""Evidence items, their submissions and the assessors' decisions on them, planned through the
evidence checks and marking rules, and written."""

# ruff: noqa: S311 - seeded data for benchmarks and tests, not security

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from bench import writing
from bench.centre.base import PlannerBase
from bench.centre.records import Dec, Item, Sub
from bench.centre.rows import insert_rows, next_id, number
from portfolio.assessment.marking import PointMark, marking_problem, point_record
from portfolio.assessment.models import (
    AssessorStatus,
    Decision,
    Outcome,
    PointDecision,
    PointStatus,
)
from portfolio.auth.models import Role
from portfolio.evidence import flags
from portfolio.evidence.content import content_problems
from portfolio.evidence.models import Evidence, Submission, submission_claim
from portfolio.evidence.services import content_hash


class EvidencePlanner(PlannerBase):
    def prepare_writing(self) -> None:
        """A dozen variants of each type's content, checked by the evidence checks a submission
        must pass: every variant, and every title. Neither holds a personal detail (so the
        checks have nothing to say of one beside the other), and the title is never read for
        real-work wording: a variant's checks record is the same under any title."""
        rng = random.Random(self.rng.random())
        titles = sorted({t for ts in writing.TITLES.values() for t in ts})
        for type_id, spec in self.types.items():
            found = []
            for _ in range(12):
                content = writing.fill(spec, rng, self.now.date())
                problems = content_problems(spec, content)
                if problems:
                    raise AssertionError(f"{type_id}: generated content refused: {problems}")
                found.append(content)
            self.variants[type_id] = found
            pairs = [(v, titles[v % len(titles)]) for v in range(len(found))]
            pairs += [(n % len(found), t) for n, t in enumerate(titles)]
            for variant, title in pairs:
                item = Evidence(
                    learner_id=-1,
                    title=title,
                    draft=found[variant],
                    dismissals=[],
                    type_id=type_id,
                )
                result = flags.check_draft(item, spec)
                if result.open_personal_data:
                    raise AssertionError(f"{title}: {result.open_personal_data}")
                self.checked[(type_id, variant)] = result

    def new_content(self, item: Item, at: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        spec = self.types[item.type_id]
        variant = self.rng.randrange(len(self.variants[item.type_id]))
        content = writing.redate(spec, self.variants[item.type_id][variant], self.rng, at.date())
        if problems := content_problems(spec, content):
            raise AssertionError(f"{item.type_id}: {problems}")
        checks = flags.checks_record(self.checked[(item.type_id, variant)], [], at)
        return content, checks

    def decide(self, sub: Sub, at: datetime, outcome: Outcome) -> Dec:
        rng = self.rng
        assessor = sub.item.learner.assessor
        assert assessor is not None
        marks: dict[str, tuple[PointStatus, str]] = {
            p: (PointStatus.MET, rng.choice(writing.POINT_COMMENTS_MET)) for p in sub.claims
        }
        if outcome is Outcome.REFERRED:
            for p in rng.sample(sub.claims, rng.randint(1, len(sub.claims))):
                marks[p] = (PointStatus.NOT_YET_MET, rng.choice(writing.POINT_COMMENTS_NOT_MET))
            feedback = rng.choice(writing.REFER_FEEDBACK)
        else:
            feedback = rng.choice(writing.ACCEPT_FEEDBACK)
        problem = marking_problem(
            self.points[sub.item.element_id],
            sub.claims,
            {p: PointMark(s, c) for p, (s, c) in marks.items()},
            outcome,
            feedback,
        )
        if problem:
            raise AssertionError(f"generated decision refused: {problem}")
        decision = Dec(
            sub, assessor, outcome, feedback, marks, at, assessor.status is AssessorStatus.TRAINEE
        )
        sub.decisions.append(decision)
        sub.item.version += 1
        self.decisions.append(decision)
        self.event(
            at, "decision.recorded", "decision", assessor, lambda d=decision: self._decided(d)
        )
        if decision.needs_countersignature and self.staff[Role.IQA] and rng.random() < 0.85:
            signed = self.later(at, 0.3, 6)
            if signed < self.now:
                decision.countersigned_at = signed
                decision.countersigned_by = rng.choice(self.staff[Role.IQA])
        return decision

    def _decided(self, d: Dec) -> tuple[object, int | None, dict[str, Any], dict[str, Any]]:
        marks = {p: PointMark(s, c) for p, (s, c) in d.marks.items()}
        status = "accepted" if d.outcome is Outcome.ACCEPTED else "referred"
        return (
            d.id,
            d.sub.item.learner.id,
            {"submission": d.sub.id, "evidence_status": "submitted"},
            {
                "submission": d.sub.id,
                "attempt": d.sub.number,
                "outcome": d.outcome.value,
                "feedback": d.feedback,
                "points": point_record(marks),
                "needs_countersignature": d.needs_countersignature,
                "evidence_status": status,
            },
        )

    def submit(self, item: Item, at: datetime) -> Sub:
        content, checks = self.new_content(item, at)
        item.saved_at = at - timedelta(seconds=self.rng.randint(30, 3600))
        item.draft = content
        before = item.status
        sub = Sub(item, len(item.subs) + 1, content, list(item.claims), at, checks)
        item.subs.append(sub)
        item.version += 2  # the save before it, then the submission
        learner = item.learner
        self.event(
            at,
            "submission.created",
            "submission",
            learner,
            lambda s=sub, b=before: (
                s.id,
                s.item.learner.id,
                {"evidence_status": b},
                {
                    "evidence": s.item.id,
                    "number": s.number,
                    "content_hash": content_hash(s.item.title, s.content, s.claims),
                    "claims": sorted(s.claims),
                    "attachments": [],
                },
            ),
        )
        return sub

    def plan_evidence(self) -> None:
        rng, size = self.rng, self.size
        if not self.learners:
            return
        weights = [0.3 + 1.4 * rng.random() for _ in self.learners]
        owners = rng.choices(self.learners, weights=weights, k=size.evidence_items)
        type_ids = list(self.types)
        for learner in owners:
            element_id = rng.choice(sorted(self.points))
            created = self.moment(learner.created_at, self.now - timedelta(hours=2))
            spec_id = rng.choice(type_ids)
            live = self.points[element_id]
            item = Item(
                learner,
                element_id,
                spec_id,
                rng.choice(writing.TITLES.get(element_id, writing.TITLES["pts-a"])),
                created,
                created,
                {},
                sorted(rng.sample(live, rng.randint(1, min(4, len(live))))),
            )
            self.items.append(item)
            self._evidence_life(item)
        self.items.sort(key=lambda i: i.created_at)

    def _evidence_life(self, item: Item) -> None:
        rng, now = self.rng, self.now
        spec = self.types[item.type_id]
        if rng.random() < 0.02:  # started, nothing saved yet
            item.draft = {
                s.id: [] if s.type.value in ("rows", "multi_choice") else "" for s in spec.sections
            }
            item.claims = []
            return
        submitted = self.later(item.created_at, 0.05, 14)
        if rng.random() < 0.07 or submitted > now - timedelta(minutes=5):
            item.draft, _ = self.new_content(item, item.created_at)
            item.saved_at = self.moment(
                item.created_at, min(now, self.later(item.created_at, 0, 3))
            )
            item.version = 2
            return
        while True:
            sub = self.submit(item, submitted)
            behind = rng.random() < 0.04  # an assessor falling behind: overdue in the queue
            decided = self.later(submitted, 0.1, 12)
            if behind or decided > now:
                return
            referred = rng.random() < (0.3 if sub.number < 3 else 0.1)
            self.decide(sub, decided, Outcome.REFERRED if referred else Outcome.ACCEPTED)
            if not referred:
                return
            submitted = self.later(decided, 1, 20)
            if rng.random() > 0.85 or submitted > now:
                return
            if rng.random() < 0.3:  # a point the referral pointed at, claimed as well now
                extra = [p for p in self.points[item.element_id] if p not in item.claims]
                if extra:
                    item.claims = sorted([*item.claims, rng.choice(extra)])


def write_evidence(plan: PlannerBase) -> None:
    number(plan.items, lambda i: i.created_at, next_id(Evidence.id))
    subs = [s for i in plan.items for s in i.subs]
    number(subs, lambda s: s.submitted_at, next_id(Submission.id))
    number(plan.decisions, lambda d: d.decided_at, next_id(Decision.id))
    insert_rows(
        Evidence.__table__,
        (
            {
                "id": i.id,
                "learner_id": i.learner.id,
                "element_id": i.element_id,
                "type_id": i.type_id,
                "type_version": plan.types[i.type_id].version,
                "title": i.title,
                "status": i.status,
                "draft": i.draft,
                "draft_claims": i.claims,
                "saved_at": i.saved_at,
                "dismissals": [],
                "awaiting_since": i.awaiting_since,
                "version": i.version,
                "created_at": i.created_at,
            }
            for i in plan.items
        ),
    )
    subs.sort(key=lambda s: s.id)
    insert_rows(
        Submission.__table__,
        (
            {
                "id": s.id,
                "evidence_id": s.item.id,
                "number": s.number,
                "title": s.item.title,
                "content": s.content,
                "type_version": plan.types[s.item.type_id].version,
                "rubric_version": plan.elements[s.item.element_id].version,
                "submitted_at": s.submitted_at,
                "declared_name": s.item.learner.name,
                "content_hash": content_hash(s.item.title, s.content, s.claims),
                "checks": s.checks,
            }
            for s in subs
        ),
    )
    insert_rows(
        submission_claim,
        ({"submission_id": s.id, "marking_point_id": p} for s in subs for p in s.claims),
    )
    plan.decisions.sort(key=lambda d: d.id)
    insert_rows(
        Decision.__table__,
        (
            {
                "id": d.id,
                "submission_id": d.sub.id,
                "assessor_id": d.assessor.id,
                "outcome": d.outcome.value,
                "feedback": d.feedback,
                "decided_at": d.decided_at,
                "superseded_at": d.superseded_at,
                "needs_countersignature": d.needs_countersignature,
                "countersigned_by_id": d.countersigned_by.id if d.countersigned_by else None,
                "countersigned_at": d.countersigned_at,
            }
            for d in plan.decisions
        ),
    )
    insert_rows(
        PointDecision.__table__,
        (
            {"decision_id": d.id, "marking_point_id": p, "status": s.value, "comment": c.strip()}
            for d in plan.decisions
            for p, (s, c) in sorted(d.marks.items())
        ),
    )
