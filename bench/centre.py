"""A generated training centre of a given size, built through the app's own rules, for the
benchmark and the statement-count tests.

Rows are written with bulk inserts of exactly the columns the services would write, with every
derived value worked out as the services work it out: the declaration hash is
evidence.services.content_hash, the checks record is evidence.flags' own, every decision passes
assessment.marking.marking_problem, IQA samples are what iqa.sampling.propose proposes, quiz
answers are marked by quizzes.marking and held misconceptions replayed with the quiz service's
rules, and the audit trail is chained with core.audit's own hash, in time order, after whatever
trail the database already holds (so `verify_chain()` passes). Built onto an existing centre it
adds to it: new people, new ids, new emails.

    python -m bench.centre --size large [--database URL] [--fresh]
"""

# ruff: noqa: S311 - seeded data for benchmarks and tests, not security

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bench import people, writing
from bench import quizzes as quiz_history
from portfolio.assessment.marking import PointMark, marking_problem, point_record
from portfolio.assessment.models import (
    AssessorStatus,
    Decision,
    ElementSignOff,
    Outcome,
    PointDecision,
    PointStatus,
    SamplingPlan,
)
from portfolio.auth.models import Cohort, Role, User, UserRole, new_session_token
from portfolio.auth.services import hash_password
from portfolio.core.audit import GENESIS, AuditEntry, _plain, entry_hash
from portfolio.db import utcnow
from portfolio.evidence import flags
from portfolio.evidence.content import content_problems
from portfolio.evidence.models import Evidence, Submission, submission_claim
from portfolio.evidence.services import content_hash, evidence_types
from portfolio.extensions import db
from portfolio.iqa.models import Sample, SampleItem
from portfolio.iqa.sampling import Candidate, Plan, propose
from portfolio.iqa.services import Period
from portfolio.iqa.snapshot import VERSION as SNAPSHOT_VERSION
from portfolio.qualifications.models import Element, MarkingPoint
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception

PASSWORD = "bench-centre-pass"  # noqa: S105 - every generated user's: they are test logins, nothing more
WINDOW_DAYS = 270  # about nine months of a centre's life
BATCH = 5000


@dataclass(frozen=True)
class Size:
    name: str
    learners: int
    group_size: int
    assessors: int
    iqas: int
    tutors: int
    evidence_items: int
    attempts: int
    # At least this many audit entries: the trail is what the activity writes, topped up with
    # refused double-clicked decisions (as marking.refuse records them) if it falls short.
    audit_entries: int
    admins: int = 1


SIZES = {
    "tiny": Size("tiny", 6, 3, 2, 1, 1, 30, 36, 60),
    "small": Size("small", 200, 100, 4, 1, 2, 4_000, 6_000, 10_000),
    "large": Size("large", 2_000, 200, 40, 4, 10, 40_000, 60_000, 100_000, admins=2),
}


def scaled(size: Size, factor: int) -> Size:
    """`size` with `factor` times the learners, staff who scale with them, and their work."""
    return replace(
        size,
        name=f"{size.name}x{factor}",
        learners=size.learners * factor,
        assessors=max(1, size.assessors * factor),
        evidence_items=size.evidence_items * factor,
        attempts=size.attempts * factor,
        audit_entries=size.audit_entries * factor,
    )


@dataclass(frozen=True)
class Login:
    role: Role
    name: str
    email: str


@dataclass
class Stats:
    users: int = 0
    learners: int = 0
    assessors: int = 0
    iqas: int = 0
    tutors: int = 0
    admins: int = 0
    cohorts: int = 0
    evidence_items: int = 0
    drafts: int = 0
    submissions: int = 0
    awaiting_decision: int = 0
    decisions: int = 0
    superseded_decisions: int = 0
    point_decisions: int = 0
    countersigned: int = 0
    awaiting_countersignature: int = 0
    sign_offs: int = 0
    sampling_plans: int = 0
    samples: int = 0
    sample_items: int = 0
    verdicts: int = 0
    attempts: int = 0
    answers: int = 0
    held_misconceptions: int = 0
    audit_entries: int = 0
    logins: list[Login] = field(default_factory=list)
    password: str = PASSWORD

    def lines(self) -> list[str]:
        return [
            f"{k.replace('_', ' '):>26}: {v:,}" for k, v in vars(self).items() if type(v) is int
        ]


# --- In-memory plan ------------------------------------------------------------------------


@dataclass(eq=False)
class Person:
    name: str
    role: Role
    created_at: datetime
    cohort: Group | None = None
    assessor: Person | None = None
    status: AssessorStatus = AssessorStatus.QUALIFIED
    strength: float = 0.5  # a learner's: how often they answer a quiz question right
    # An assessor's sampling plan: the percentage, when it was set and by which IQA.
    percentage: int = 0
    plan_at: datetime | None = None
    plan_by: Person | None = None
    id: int = 0
    existing: bool = False  # already in the database: the centre's own staff, not written


@dataclass(eq=False)
class Group:
    name: str
    created_at: datetime
    id: int = 0


@dataclass(eq=False)
class Dec:
    sub: Sub
    assessor: Person
    outcome: Outcome
    feedback: str
    marks: dict[str, tuple[PointStatus, str]]
    decided_at: datetime
    needs_countersignature: bool
    countersigned_by: Person | None = None
    countersigned_at: datetime | None = None
    superseded_at: datetime | None = None
    id: int = 0


@dataclass(eq=False)
class Sub:
    item: Item
    number: int
    content: dict[str, Any]
    claims: list[str]
    submitted_at: datetime
    checks: dict[str, Any]
    decisions: list[Dec] = field(default_factory=list)
    id: int = 0

    @property
    def live(self) -> Dec | None:
        return next((d for d in self.decisions if d.superseded_at is None), None)


@dataclass(eq=False)
class Item:
    learner: Person
    element_id: str
    type_id: str
    title: str
    created_at: datetime
    saved_at: datetime
    draft: dict[str, Any]
    claims: list[str]
    version: int = 1
    subs: list[Sub] = field(default_factory=list)
    id: int = 0

    @property
    def awaiting_since(self) -> datetime | None:
        """When the clock of the decision it waits for started: its latest submission, or an
        IQA reopening the decision on that (as submit_evidence and mark_decided set it)."""
        if self.status != "submitted":
            return None
        latest = self.subs[-1]
        reopened = [d.superseded_at for d in latest.decisions if d.superseded_at is not None]
        return max(reopened) if reopened else latest.submitted_at

    @property
    def status(self) -> str:
        if not self.subs:
            return "draft"
        live = self.subs[-1].live
        return "submitted" if live is None else live.outcome.value


@dataclass(eq=False)
class SignOff:
    learner: Person
    element_id: str
    rubric_version: int
    signed_at: datetime
    points: dict[str, dict[str, Any]]  # point id -> (decision, item, attempt), ids filled late
    id: int = 0


@dataclass(eq=False)
class Taken:
    iqa: Person
    created_at: datetime
    period: Period
    proposed: int
    items: list[Sampled] = field(default_factory=list)
    id: int = 0


@dataclass(eq=False)
class Sampled:
    sample: Taken
    decision: Dec
    reason: str
    countersigned_at: datetime | None  # as it stood when sampled
    verdict: str | None = None
    feedback: str = ""
    reviewed_at: datetime | None = None
    resolved_at: datetime | None = None
    id: int = 0


@dataclass(frozen=True)
class Event:
    """An audit entry to write once ids are known: `render` gives (subject id, learner id,
    before, after)."""

    at: datetime
    action: str
    subject_type: str
    actor: Person | None
    render: Callable[[], tuple[object, int | None, dict[str, Any] | None, dict[str, Any] | None]]


class Planner:
    """Works out a whole centre in memory, in time order, before a row is written."""

    def __init__(self, size: Size, rng: random.Random, now: datetime, join: bool = False) -> None:
        self.size, self.rng, self.now, self.join = size, rng, now, join
        self.start = now - timedelta(days=WINDOW_DAYS)
        self.types = dict(sorted(evidence_types().items()))
        self.elements = {e.id: e for e in db.session.scalars(select(Element).order_by(Element.id))}
        self.points: dict[str, list[str]] = {}
        self.point_text: dict[str, str] = {}
        for p in db.session.scalars(
            select(MarkingPoint)
            .where(MarkingPoint.retired.is_(False))
            .order_by(MarkingPoint.element_id, MarkingPoint.position)
        ):
            self.points.setdefault(p.element_id, []).append(p.id)
            self.point_text[p.id] = p.text
        self.staff: dict[Role, list[Person]] = {r: [] for r in Role}
        self.groups: list[Group] = []
        self.learners: list[Person] = []
        self.items: list[Item] = []
        self.decisions: list[Dec] = []
        self.sign_offs: list[SignOff] = []
        self.samples: list[Taken] = []
        self.events: list[Event] = []
        self.variants: dict[str, list[dict[str, Any]]] = {}
        self.checked: dict[tuple[str, int], flags.CheckResult] = {}

    # Helpers

    def moment(self, low: datetime, high: datetime) -> datetime:
        """A time between `low` and `high`, to the microsecond (so none tie)."""
        span = max((high - low).total_seconds(), 1.0)
        return low + timedelta(seconds=self.rng.random() * span)

    def later(self, after: datetime, low_days: float, high_days: float) -> datetime:
        return after + timedelta(days=low_days + self.rng.random() * (high_days - low_days))

    def event(self, *args: Any) -> None:
        self.events.append(Event(*args))

    # People

    def plan_people(self) -> None:
        rng, size = self.rng, self.size
        hired = self.start - timedelta(days=30)
        existing = self._existing_staff() if self.join else {}
        for role, count in (
            (Role.ADMIN, size.admins),
            (Role.TUTOR, size.tutors),
            (Role.IQA, size.iqas),
            (Role.ASSESSOR, size.assessors),
        ):
            if existing.get(role):
                self.staff[role] = existing[role]
                continue
            for _ in range(count):
                joined = self.moment(hired, self.start)
                self.staff[role].append(Person(people.full_name(rng), role, joined))
        assessors = self.staff[Role.ASSESSOR]
        trainees = max(1 if len(assessors) >= 2 else 0, len(assessors) // 20)
        new = max(1 if len(assessors) >= 4 else 0, len(assessors) // 10)
        for n, a in enumerate(assessors):
            if a.existing:
                continue
            if n % 20 == 1 and trainees:
                a.status, trainees = AssessorStatus.TRAINEE, trainees - 1
            elif n % 10 == 3 and new:
                a.status, new = AssessorStatus.NEW, new - 1
        groups = max(1, math.ceil(size.learners / size.group_size))
        for g in range(groups):
            opened = self.start + timedelta(days=g * 45 % 90)
            intake = opened.strftime("%B %Y")
            when = "day" if g % 2 == 0 else "evening"
            self.groups.append(Group(f"Level 2 Customer Service — {intake} {when}", opened))
        for n in range(size.learners):
            group = self.groups[n * groups // max(size.learners, 1)]
            g = self.groups.index(group)
            # Each group has its own assessors (shared round the groups when there are few).
            own = [a for i, a in enumerate(assessors) if i % groups == g % groups]
            if not own and assessors:
                own = [assessors[g % len(assessors)]]
            learner = Person(
                people.full_name(rng),
                Role.LEARNER,
                self.moment(group.created_at - timedelta(days=7), group.created_at),
                cohort=group,
                assessor=own[n % len(own)] if own else None,
                strength=0.35 + 0.55 * rng.random(),
            )
            self.learners.append(learner)
        iqas = self.staff[Role.IQA]
        for n, a in enumerate(assessors):
            if not iqas:
                break
            if a.existing:
                continue
            percentage = {
                AssessorStatus.TRAINEE: 100,
                AssessorStatus.NEW: 50,
                AssessorStatus.QUALIFIED: rng.choice((12, 15, 20, 25)),
            }[a.status]
            by = iqas[n % len(iqas)]
            at = self.moment(self.start - timedelta(days=10), self.start)
            a.percentage, a.plan_at, a.plan_by = percentage, at, by
            self.event(
                at,
                "sampling_plan.changed",
                "sampling_plan",
                by,
                lambda a=a, p=percentage: (
                    a.id,
                    None,
                    {"status": "qualified", "percentage": 10},
                    {"status": a.status.value, "percentage": p},
                ),
            )

    def _existing_staff(self) -> dict[Role, list[Person]]:
        """The centre's staff already in the database, with each assessor's sampling plan."""
        plans = {p.assessor_id: p for p in db.session.scalars(select(SamplingPlan))}
        found: dict[Role, list[Person]] = {}
        rows = db.session.execute(
            select(User.id, User.name, User.created_at, UserRole.role)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role != Role.LEARNER)
            .order_by(User.id)
        )
        for user_id, name, created_at, role in rows:
            person = Person(name, Role(role), created_at, id=user_id, existing=True)
            plan = plans.get(user_id)
            person.status = plan.status if plan else AssessorStatus.QUALIFIED
            person.percentage = plan.percentage if plan else Plan.default().percentage
            found.setdefault(Role(role), []).append(person)
        return found

    # Evidence

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

    # Countersignatures, IQA

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

    # Sign-offs

    def plan_sign_offs(self) -> None:
        by_learner: dict[int, list[Item]] = {}
        for item in self.items:
            if item.subs:
                by_learner.setdefault(id(item.learner), []).append(item)
        for items in by_learner.values():
            learner = items[0].learner
            if learner.assessor is None or learner.assessor.status is AssessorStatus.TRAINEE:
                continue
            for element_id, points in self.points.items():
                columns = [i for i in items if i.element_id == element_id]  # created order
                found: dict[str, Item] = {}
                for point in points:
                    for item in columns:
                        d = item.subs[-1].live
                        if (
                            d is not None
                            and d.marks.get(point, (None,))[0] is PointStatus.MET
                            and not (d.needs_countersignature and d.countersigned_at is None)
                        ):
                            found[point] = item
                            break
                if len(found) < len(points) or self.rng.random() > 0.75:
                    continue
                last = max(self._last_event(i) for i in columns)
                signed = self.later(last, 0.5, 10)
                if signed >= self.now:
                    continue
                sign_off = SignOff(
                    learner,
                    element_id,
                    self.elements[element_id].version,
                    signed,
                    {p: {"item": i} for p, i in found.items()},
                )
                self.sign_offs.append(sign_off)
                self.event(
                    signed,
                    "element.signed_off",
                    "element_sign_off",
                    learner.assessor,
                    lambda s=sign_off: (
                        s.id,
                        s.learner.id,
                        None,
                        {
                            "element": s.element_id,
                            "rubric_version": s.rubric_version,
                            "signed_at": s.signed_at,
                            "points": snapshot_points(s),
                        },
                    ),
                )

    @staticmethod
    def _last_event(item: Item) -> datetime:
        times = [item.created_at, item.saved_at]
        for sub in item.subs:
            times.append(sub.submitted_at)
            for d in sub.decisions:
                times += [t for t in (d.decided_at, d.countersigned_at, d.superseded_at) if t]
        return max(times)

    def top_up_audit(self, existing: int) -> None:
        """Refused second clicks on decisions, as marking.refuse records them, until the trail
        holds the size's number of entries."""
        missing = self.size.audit_entries - existing - len(self.events)
        live = [d for d in self.decisions if d.superseded_at is None]
        for _ in range(max(0, missing)):
            if not live:
                break
            d = self.rng.choice(live)
            self.event(
                d.decided_at + timedelta(seconds=0.2 + 3 * self.rng.random()),
                "decision.refused",
                "submission",
                d.assessor,
                lambda d=d: (
                    d.sub.id,
                    d.sub.item.learner.id,
                    None,
                    {
                        "reason": "already_decided",
                        "message": "This submission has already been decided.",
                        "decision_already_recorded": d.id,
                    },
                ),
            )


def snapshot_points(s: SignOff) -> dict[str, dict[str, int | None]]:
    """What a sign-off freezes: each point with the decision, item and attempt that met it."""
    found = {}
    for point, ref in s.points.items():
        item: Item = ref["item"]
        sub = item.subs[-1]
        live = sub.live
        assert live is not None
        found[point] = {
            "decision_id": live.id,
            "evidence_id": item.id,
            "submission_number": sub.number,
        }
    return found


# --- Writing -------------------------------------------------------------------------------


def _next_id(column: Any) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


def _write(table: Any, rows: Iterable[dict[str, Any]]) -> int:
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def _number(rows: Iterable[Any], key: Callable[[Any], Any], first: int) -> None:
    for n, row in enumerate(sorted(rows, key=key)):
        row.id = first + n


def _write_people(plan: Planner, password_hash: str) -> list[Person]:
    everyone = [p for role in Role for p in plan.staff[role] if not p.existing] + plan.learners
    _number(plan.groups, lambda g: g.created_at, _next_id(Cohort.id))
    for g in plan.groups:
        g.name = f"{g.name} (group {g.id})"
    _write(
        Cohort.__table__,
        ({"id": g.id, "name": g.name, "created_at": g.created_at} for g in plan.groups),
    )
    first = _next_id(User.id)
    for n, person in enumerate(everyone):
        person.id = first + n
    rows = []
    for p in everyone:
        rows.append(
            {
                "id": p.id,
                "email": people.email_for(p.name, p.id),
                "name": p.name.strip(),
                "password_hash": password_hash,
                # Secret, like every session token: never derived from the seed.
                "session_token": new_session_token(),
                "active": True,
                "assessor_id": p.assessor.id if p.assessor else None,
                "cohort_id": p.cohort.id if p.cohort else None,
                "created_at": p.created_at,
            }
        )
    _write(User.__table__, rows)
    _write(UserRole.__table__, ({"user_id": p.id, "role": p.role.value} for p in everyone))
    return everyone


def _write_plans(plan: Planner) -> int:
    rows = [
        {
            "assessor_id": a.id,
            "status": a.status.value,
            "percentage": a.percentage,
            "updated_at": a.plan_at,
            "updated_by_id": a.plan_by.id,
        }
        for a in plan.staff[Role.ASSESSOR]
        if a.plan_at is not None and a.plan_by is not None
    ]
    return _write(SamplingPlan.__table__, rows)


def _write_evidence(plan: Planner) -> None:
    _number(plan.items, lambda i: i.created_at, _next_id(Evidence.id))
    subs = [s for i in plan.items for s in i.subs]
    _number(subs, lambda s: s.submitted_at, _next_id(Submission.id))
    _number(plan.decisions, lambda d: d.decided_at, _next_id(Decision.id))
    _write(
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
    _write(
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
    _write(
        submission_claim,
        ({"submission_id": s.id, "marking_point_id": p} for s in subs for p in s.claims),
    )
    plan.decisions.sort(key=lambda d: d.id)
    _write(
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
    _write(
        PointDecision.__table__,
        (
            {"decision_id": d.id, "marking_point_id": p, "status": s.value, "comment": c.strip()}
            for d in plan.decisions
            for p, (s, c) in sorted(d.marks.items())
        ),
    )


def _freeze(plan: Planner, s: Sampled) -> dict[str, Any]:
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


def _in_rubric_order(plan: Planner, element_id: str, ids: list[str]) -> list[str]:
    order = plan.points[element_id]
    return sorted(ids, key=order.index)


def _write_iqa_and_sign_offs(plan: Planner) -> None:
    _number(plan.samples, lambda s: s.created_at, _next_id(Sample.id))
    items = [i for s in sorted(plan.samples, key=lambda s: s.id) for i in s.items]
    first = _next_id(SampleItem.id)
    for n, item in enumerate(items):
        item.id = first + n
    _write(
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
    _write(
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
    _number(plan.sign_offs, lambda s: s.signed_at, _next_id(ElementSignOff.id))
    _write(
        ElementSignOff.__table__,
        (
            {
                "id": s.id,
                "learner_id": s.learner.id,
                "element_id": s.element_id,
                "assessor_id": s.learner.assessor.id if s.learner.assessor else None,
                "rubric_version": s.rubric_version,
                "signed_at": s.signed_at,
                "snapshot": {"points": snapshot_points(s)},
            }
            for s in sorted(plan.sign_offs, key=lambda s: s.id)
        ),
    )


def _write_audit(plan: Planner) -> int:
    """The trail, in time order, chained on from the last entry already there."""
    tail = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    previous = tail or GENESIS
    first = _next_id(AuditEntry.id)
    rows = []
    for n, e in enumerate(sorted(plan.events, key=lambda e: e.at)):
        subject_id, learner_id, before, after = e.render()
        row = {
            "id": first + n,
            "at": e.at,
            "actor_id": e.actor.id if e.actor else None,
            "action": e.action,
            "subject_type": e.subject_type,
            "subject_id": str(subject_id),
            "learner_id": learner_id,
            "before": _plain(before),
            "after": _plain(after),
            "prev_hash": previous,
        }
        # Hashed as record() hashes an entry: the payload of the entry object, never added to
        # the session (the row is written in bulk below).
        row["hash"] = entry_hash(AuditEntry(**row).payload())
        previous = row["hash"]
        rows.append(row)
    return _write(AuditEntry.__table__, rows)


_SEQUENCED = (
    "cohort",
    "user_account",
    "evidence",
    "submission",
    "decision",
    "sample",
    "sample_item",
    "element_sign_off",
    "attempt",
    "audit_entry",
)


def _advance_sequences() -> None:
    """PostgreSQL: rows written with their ids leave the id sequences behind; move them on."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in _SEQUENCED:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


# --- Building ------------------------------------------------------------------------------


def build_centre(
    size: Size,
    seed: int = 1,
    now: datetime | None = None,
    log: Callable[[str], None] | None = None,
    *,
    join: bool = False,
) -> Stats:
    """Add a centre of `size` to the database of the current app (which has the schema and the
    shipped data loaded), deterministic from `seed` (and `now`). With `join`, the new learners
    join the staff already there (more learners per assessor, more for each IQA) instead of
    coming with staff of their own. Commits; returns what it wrote."""
    say = log or (lambda _message: None)
    now = (now or utcnow()).astimezone(UTC)
    rng = random.Random(seed)
    started = time.perf_counter()

    def step(message: str) -> None:
        say(f"{time.perf_counter() - started:7.1f} s  {message}")

    plan = Planner(size, rng, now, join)
    plan.plan_people()
    plan.prepare_writing()
    step("people planned, writing checked")
    plan.plan_evidence()
    plan.plan_iqa()
    plan.plan_countersignatures()
    step(f"{len(plan.items):,} evidence items and {len(plan.decisions):,} decisions planned")

    password_hash = hash_password(PASSWORD)
    everyone = _write_people(plan, password_hash)
    plan.plan_sign_offs()
    existing = int(db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    plan.top_up_audit(existing)
    _write_plans(plan)
    _write_evidence(plan)
    _write_iqa_and_sign_offs(plan)
    step("people, evidence, decisions, samples and sign-offs written")
    audit_rows = _write_audit(plan)
    step(f"{audit_rows:,} audit entries written")

    bank = quiz_history.load_bank()
    learners = [(p.id, p.created_at, p.strength) for p in plan.learners]
    history = quiz_history.generate(
        rng,
        bank,
        learners,
        size.attempts,
        _next_id(Attempt.id),
        now,
        lambda rows: _write(Attempt.__table__, rows) if rows else None,
        lambda rows: _write(Answer.__table__, rows) if rows else None,
    )
    held = _write(HeldMisconception.__table__, quiz_history.held_rows(history))
    step(f"{history.attempts:,} quiz attempts, {history.answers:,} answers written")
    _advance_sequences()
    db.session.commit()
    step("committed")

    subs = [s for i in plan.items for s in i.subs]
    stats = Stats(
        users=len(everyone),
        learners=len(plan.learners),
        assessors=sum(not p.existing for p in plan.staff[Role.ASSESSOR]),
        iqas=sum(not p.existing for p in plan.staff[Role.IQA]),
        tutors=sum(not p.existing for p in plan.staff[Role.TUTOR]),
        admins=sum(not p.existing for p in plan.staff[Role.ADMIN]),
        cohorts=len(plan.groups),
        evidence_items=len(plan.items),
        drafts=sum(not i.subs for i in plan.items),
        submissions=len(subs),
        awaiting_decision=sum(i.status == "submitted" for i in plan.items),
        decisions=len(plan.decisions),
        superseded_decisions=sum(d.superseded_at is not None for d in plan.decisions),
        point_decisions=sum(len(d.marks) for d in plan.decisions),
        countersigned=sum(d.countersigned_at is not None for d in plan.decisions),
        awaiting_countersignature=sum(
            d.needs_countersignature and d.countersigned_at is None and d.superseded_at is None
            for d in plan.decisions
        ),
        sign_offs=len(plan.sign_offs),
        sampling_plans=sum(a.plan_at is not None for a in plan.staff[Role.ASSESSOR]),
        samples=len(plan.samples),
        sample_items=sum(len(s.items) for s in plan.samples),
        verdicts=sum(i.verdict is not None for s in plan.samples for i in s.items),
        attempts=history.attempts,
        answers=history.answers,
        held_misconceptions=held,
        audit_entries=audit_rows,
    )
    for role in (Role.ADMIN, Role.TUTOR, Role.ASSESSOR, Role.IQA, Role.LEARNER):
        found = plan.learners if role is Role.LEARNER else plan.staff[role]
        if role is Role.ASSESSOR:
            # One whose decisions stand without a countersignature, with a caseload.
            found = sorted(found, key=lambda a: a.status is not AssessorStatus.QUALIFIED)
        if found:
            p = found[0]
            stats.logins.append(Login(role, p.name, people.email_for(p.name, p.id)))
    return stats


# --- Command line --------------------------------------------------------------------------


def _prepare_database(url: str, fresh: bool) -> None:
    """Remove the old database (with --fresh) and make an empty one where needed."""
    from sqlalchemy import create_engine, make_url

    from portfolio.config import normalise_database_url

    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    for maintenance in ("postgres", "test", "template1"):
        engine = create_engine(parsed.set(database=maintenance), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if fresh:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                found = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if not found:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            return
        except Exception:  # noqa: S112 - try the next maintenance database
            continue
        finally:
            engine.dispose()
    raise SystemExit(f"Could not reach a maintenance database to create {name}.")


def main(argv: list[str] | None = None) -> None:
    import argparse

    from flask_migrate import upgrade

    from portfolio import create_app
    from portfolio.cli import _fail_on_errors, _read_data, load_data
    from portfolio.config import ROOT, normalise_database_url
    from portfolio.core.audit import verify_chain

    parser = argparse.ArgumentParser(
        prog="python -m bench.centre", description="Build a generated centre to benchmark."
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="large")
    parser.add_argument(
        "--database", help="database URL (default: sqlite under instance/bench-<size>.sqlite3)"
    )
    parser.add_argument("--fresh", action="store_true", help="remove the database and rebuild")
    parser.add_argument(
        "--add", action="store_true", help="add another centre's worth to a database that has one"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    url = args.database or f"sqlite:///{ROOT / 'instance' / f'bench-{size.name}.sqlite3'}"
    _prepare_database(url, args.fresh)
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})
    started = time.perf_counter()
    with app.app_context():
        data = _read_data()
        _fail_on_errors(data)
        upgrade()
        load_data(data)
        users = int(db.session.scalar(select(func.count()).select_from(User)) or 0)
        if users and not args.add:
            raise SystemExit(
                f"{url} already holds {users} users: use --fresh to rebuild it, or --add "
                "(with another --seed) to add to it."
            )
        print(f"Building a {size.name} centre (seed {args.seed}) in {url}")
        stats = build_centre(size, args.seed, log=print)
        built = time.perf_counter() - started
        report = verify_chain()
        checked = time.perf_counter() - started - built
    print("\nWritten:")
    print("\n".join(stats.lines()))
    print(f"\nBuilt in {built:.1f} s (schema, shipped data and the centre).")
    state = "intact" if report.intact else f"BROKEN at entry {report.broken_id}: {report.reason}"
    print(f"Audit chain: {report.entries:,} entries, {state} (checked in {checked:.1f} s).")
    print(f"\nLogins (every generated user's password is {PASSWORD}):")
    for login in stats.logins:
        print(f"  {login.role.label:26} {login.email:44} {login.name}")
    print(
        "\nServe the app on this database:\n"
        f"  PORTFOLIO_DATABASE_URL='{url}' .venv/bin/portfolio run\n"
        "or as the benchmark does:\n"
        f"  PORTFOLIO_DATABASE_URL='{url}' .venv/bin/gunicorn -w 2 'portfolio:create_app()'"
    )
    if not report.intact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
