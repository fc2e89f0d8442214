"""Staff, groups and learners: who works and learns at the centre, with each assessor's
sampling plan, planned and written."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select

from bench import people
from bench.centre.base import PlannerBase
from bench.centre.records import Group, Person
from bench.centre.rows import insert_rows, next_id, number
from portfolio.assessment.models import AssessorStatus, SamplingPlan
from portfolio.auth.models import Cohort, Role, User, UserRole, new_session_token
from portfolio.extensions import db
from portfolio.iqa.sampling import Plan


class PeoplePlanner(PlannerBase):
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


def write_people(plan: PlannerBase, password_hash: str) -> list[Person]:
    everyone = [p for role in Role for p in plan.staff[role] if not p.existing] + plan.learners
    number(plan.groups, lambda g: g.created_at, next_id(Cohort.id))
    for g in plan.groups:
        g.name = f"{g.name} (group {g.id})"
    insert_rows(
        Cohort.__table__,
        ({"id": g.id, "name": g.name, "created_at": g.created_at} for g in plan.groups),
    )
    first = next_id(User.id)
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
    insert_rows(User.__table__, rows)
    insert_rows(UserRole.__table__, ({"user_id": p.id, "role": p.role.value} for p in everyone))
    return everyone


def write_plans(plan: PlannerBase) -> int:
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
    return insert_rows(SamplingPlan.__table__, rows)
