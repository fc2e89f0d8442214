"""What every part of the planner shares: the centre being planned, the clock and the dice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench.centre.records import Dec, Event, Group, Item, Person, SignOff, Taken
from bench.centre.sizes import Size
from portfolio.auth.models import Role
from portfolio.evidence import flags
from portfolio.evidence.services import evidence_types
from portfolio.extensions import db
from portfolio.qualifications.models import Element, MarkingPoint

WINDOW_DAYS = 270  # about nine months of a centre's life


class PlannerBase:
    """A centre worked out in memory, in time order, before a row is written: the state the
    per-area planners (staff, evidence, IQA, sign-offs, audit) add to."""

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

    def moment(self, low: datetime, high: datetime) -> datetime:
        """A time between `low` and `high`, to the microsecond (so none tie)."""
        span = max((high - low).total_seconds(), 1.0)
        return low + timedelta(seconds=self.rng.random() * span)

    def later(self, after: datetime, low_days: float, high_days: float) -> datetime:
        return after + timedelta(days=low_days + self.rng.random() * (high_days - low_days))

    def event(self, *args: Any) -> None:
        self.events.append(Event(*args))
