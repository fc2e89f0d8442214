"""The in-memory plan of a centre: people, groups, evidence, decisions, samples and sign-offs
as records that get their ids only when their rows are written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portfolio.assessment.models import AssessorStatus, Outcome, PointStatus
from portfolio.auth.models import Role
from portfolio.iqa.services import Period


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
