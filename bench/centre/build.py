"""Building a centre: the planner's parts put together, planned, written in order, counted."""

# ruff: noqa: S311 - seeded data for benchmarks and tests, not security

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from bench import people
from bench import quizzes as quiz_history
from bench.centre.audit import AuditPlanner, write_audit
from bench.centre.evidence import write_evidence
from bench.centre.iqa import IqaPlanner, write_samples
from bench.centre.rows import advance_sequences, insert_rows, next_id
from bench.centre.sign_offs import SignOffPlanner, write_sign_offs
from bench.centre.sizes import PASSWORD, Login, Size, Stats
from bench.centre.staff import PeoplePlanner, write_people, write_plans
from portfolio.assessment.models import AssessorStatus
from portfolio.assessment.progress import rebuild_progress
from portfolio.auth.models import Role
from portfolio.auth.services import hash_password
from portfolio.core.audit import AuditEntry
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.quizzes import tallies
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception


class Planner(PeoplePlanner, IqaPlanner, SignOffPlanner, AuditPlanner):
    """Works out a whole centre in memory, in time order, before a row is written."""


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
    everyone = write_people(plan, password_hash)
    plan.plan_sign_offs()
    existing = int(db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
    plan.top_up_audit(existing)
    write_plans(plan)
    write_evidence(plan)
    write_samples(plan)
    write_sign_offs(plan)
    # The met points the services keep with every decision (the cohort totals read them).
    rebuild_progress()
    step("people, evidence, decisions, samples and sign-offs written")
    audit_rows = write_audit(plan)
    step(f"{audit_rows:,} audit entries written")

    bank = quiz_history.load_bank()
    learners = [(p.id, p.created_at, p.strength) for p in plan.learners]
    history = quiz_history.generate(
        rng,
        bank,
        learners,
        size.attempts,
        next_id(Attempt.id),
        now,
        lambda rows: insert_rows(Attempt.__table__, rows) if rows else None,
        lambda rows: insert_rows(Answer.__table__, rows) if rows else None,
    )
    held = insert_rows(HeldMisconception.__table__, quiz_history.held_rows(history))
    # The analytics' summaries, as the services would have kept them answer by answer:
    # counted from the rows just written (and any there before), in set-based SQL.
    tallies.rebuild()
    step(f"{history.attempts:,} quiz attempts, {history.answers:,} answers written, summarised")
    advance_sequences()
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
