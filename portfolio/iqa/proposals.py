"""Proposing and taking a sample at the size of a centre. The candidates (live, unsampled
decisions in the period) are read in one query as a few ids each; the spread (sampling.py) runs
on those; names and titles are read only for the 50 proposed decisions a page shows. Each
assessor's share is kept per process and worked out again only when the database says their
pool or plan changed (`_pools`), so a decision made while an IQA reviews costs one assessor's
candidates, not the centre's. Taking a sample works the proposal out again on the server,
under lock, so the form carries the period, the filters and a fingerprint of what the IQA saw,
never thousands of ids."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple, cast

from flask import current_app
from sqlalchemy import ColumnElement, Select, Table, func, insert, select
from sqlalchemy.orm import joinedload, selectinload

from portfolio.assessment.models import Decision, Outcome, PointDecision, SamplingPlan
from portfolio.auth.models import User
from portfolio.core import audit
from portfolio.core.paging import PageArg, Paged
from portfolio.db import utcnow
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Evidence, Submission
from portfolio.extensions import db
from portfolio.iqa import snapshot
from portfolio.iqa.models import Sample, SampleItem
from portfolio.iqa.sampling import Chosen, Pick, Plan, Share, Stage, choose, describe
from portfolio.qualifications.models import Element

DEFAULT_PERIOD_DAYS = 90
PAGE_SIZE = 50
# Decisions frozen per round trip when a sample is taken.
TAKE_BATCH = 500


class Refused(Exception):
    """The change was not made; the message says why, for the person who asked."""


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


class Lean(NamedTuple):
    """A candidate as the spread and the filters need it: ids only."""

    decision_id: int
    assessor_id: int
    learner_id: int
    type_id: str
    element_id: str
    final: bool
    position: int  # in the period's order: oldest first, then by id

    @property
    def stage(self) -> Stage:
        return Stage.FINAL if self.final else Stage.INTERIM


@dataclass(frozen=True)
class Filters:
    """Which part of the proposal to show (and take). None is "any"."""

    assessor_id: int | None = None
    cohort_id: int | None = None
    element_id: str | None = None
    type_id: str | None = None
    stage: Stage | None = None

    @property
    def active(self) -> bool:
        return self != Filters()

    def matches(self, row: Lean, group: Collection[int] = ()) -> bool:
        """Whether `row` passes; `group` holds the learners of the group filtered by."""
        return (
            (self.assessor_id is None or row.assessor_id == self.assessor_id)
            and (self.cohort_id is None or row.learner_id in group)
            and (self.element_id is None or row.element_id == self.element_id)
            and (self.type_id is None or row.type_id == self.type_id)
            and (self.stage is None or row.stage is self.stage)
        )

    def as_dict(self) -> dict[str, str]:
        found = {
            "assessor": self.assessor_id,
            "group": self.cohort_id,
            "element": self.element_id,
            "type": self.type_id,
            "stage": self.stage.value if self.stage else None,
        }
        return {k: str(v) for k, v in found.items() if v is not None}


@dataclass(frozen=True)
class Entry:
    """One proposed decision, with its assessor's plan and name for the reason."""

    pick: Pick[Lean]
    plan: Plan
    assessor_name: str

    @property
    def decision_id(self) -> int:
        return self.pick.row.decision_id


@dataclass(frozen=True)
class Worked:
    """The whole proposal for a period: each assessor's share and every proposed decision, by
    assessor (name) then oldest first."""

    period: Period
    shares: tuple[Share, ...]
    entries: tuple[Entry, ...]
    own_left_out: int

    @property
    def decision_ids(self) -> set[int]:
        return {e.decision_id for e in self.entries}

    @functools.cached_property
    def fingerprint(self) -> str:
        """fingerprint(self.entries), worked out once: a kept proposal is read again and again
        (every page, every visit) while nothing changes."""
        return fingerprint(self.entries)

    def matching(self, filters: Filters) -> list[Entry]:
        if not filters.active:
            return list(self.entries)
        group = _group(filters.cohort_id)
        return [e for e in self.entries if filters.matches(e.pick.row, group)]


def _group(cohort_id: int | None) -> set[int]:
    """The learners in a group, read when the proposal is filtered by it (never cached: a
    learner may move group at any time)."""
    if cohort_id is None:
        return set()
    return set(db.session.scalars(select(User.id).where(User.cohort_id == cohort_id)))


def fingerprint(entries: Sequence[Entry]) -> str:
    """Names exactly these proposed decisions, so a take can check it takes what was shown."""
    ids = ",".join(str(e.decision_id) for e in entries)
    return hashlib.sha256(ids.encode()).hexdigest()[:32]


def _live_unsampled(period: Period) -> tuple[ColumnElement[bool], ...]:
    """What makes a decision a candidate: live, made in `period`, not sampled yet."""
    start, end = period.bounds()
    sampled = select(SampleItem.id).where(SampleItem.decision_id == Decision.id).exists()
    return (
        Decision.superseded_at.is_(None),
        Decision.decided_at >= start,
        Decision.decided_at < end,
        ~sampled,
    )


def _candidates(period: Period) -> Select[Any]:
    query = (
        select(
            Decision.id,
            Decision.assessor_id,
            Evidence.learner_id,
            Evidence.type_id,
            Evidence.element_id,
            (Decision.outcome == Outcome.ACCEPTED).label("final"),
        )
        .join(Submission, Submission.id == Decision.submission_id)
        .join(Evidence, Evidence.id == Submission.evidence_id)
        .where(*_live_unsampled(period))
        .order_by(Decision.decided_at, Decision.id)
    )
    return cast(Select[Any], query)


def candidates_query(period: Period) -> Select[Any]:
    """The proposal's main query (for the test that reads its plan)."""
    return _candidates(period)


def version_query() -> Select[Any]:
    """What a worked-out proposal depends on, in one statement of index look-ups: a new
    decision (ids only grow), a reopened one (supersession times only grow), a sample taken,
    a plan changed. Decisions are never deleted and their maker, learner, type, element and
    outcome never change, so while these stay the same, so does every proposal."""
    return select(
        select(func.max(Decision.id)).scalar_subquery(),
        select(func.max(Decision.superseded_at))
        .where(Decision.superseded_at.is_not(None))
        .scalar_subquery(),
        select(func.max(SampleItem.id)).scalar_subquery(),
        select(func.max(SamplingPlan.updated_at)).scalar_subquery(),
        select(func.count(SamplingPlan.assessor_id)).scalar_subquery(),
    )


def _version() -> tuple[Any, ...]:
    return tuple(db.session.execute(version_query()).one())


_CACHE_SIZE = 4
_lock = threading.Lock()


def _cache() -> OrderedDict[tuple[Any, ...], tuple[list[Chosen[Lean]], int]]:
    found: OrderedDict[tuple[Any, ...], tuple[list[Chosen[Lean]], int]]
    found = current_app.extensions.setdefault("portfolio.iqa.proposals", OrderedDict())
    return found


def _worked_cache() -> OrderedDict[tuple[Any, ...], tuple[dict[int, str], Worked]]:
    """The Worked last made from each kept proposal, with the names it was made with."""
    found: OrderedDict[tuple[Any, ...], tuple[dict[int, str], Worked]]
    found = current_app.extensions.setdefault("portfolio.iqa.worked", OrderedDict())
    return found


def _plans() -> dict[int, Plan]:
    saved = db.session.execute(
        select(SamplingPlan.assessor_id, SamplingPlan.status, SamplingPlan.percentage)
    )
    return {r.assessor_id: Plan(r.status, r.percentage) for r in saved}


def _spread(iqa: User, period: Period, lock: bool) -> tuple[list[Chosen[Lean]], int]:
    """Every assessor's share: read the candidates (one statement), spread them."""
    query = _candidates(period)
    if lock:
        # Two clicks on "Take this sample" (or two IQAs at once): the second waits here for
        # the first to commit, then finds those decisions sampled.
        query = query.with_for_update(of=Decision)
    rows = [Lean._make((*r, i)) for i, r in enumerate(db.session.execute(query))]
    return choose(rows, _plans(), iqa.id, key=lambda r: r.position)


def _pools(period: Period) -> dict[int, tuple[int, int, int]]:
    """Each assessor's candidates in `period` named by (how many, the highest id, the sum of
    ids), counted by the database in one statement. Decisions are never deleted and ids only
    grow, so a new decision raises the highest id, and one reopened or sampled (or a sample
    taken back) changes the count or the sum: while these stay the same, so do the
    assessor's candidates, and so does their share."""
    rows = db.session.execute(
        select(Decision.assessor_id, func.count(), func.max(Decision.id), func.sum(Decision.id))
        .where(*_live_unsampled(period))
        .group_by(Decision.assessor_id)
    )
    return {a: (int(n), int(top), int(total)) for a, n, top, total in rows}


_SHARES_KEPT = 400  # (period, assessor) shares: a few periods of a centre's 40 assessors


def _shares() -> OrderedDict[tuple[Period, int], tuple[Any, Chosen[Lean]]]:
    found: OrderedDict[tuple[Period, int], tuple[Any, Chosen[Lean]]]
    found = current_app.extensions.setdefault("portfolio.iqa.shares", OrderedDict())
    return found


def _kept_spread(iqa: User, period: Period) -> tuple[list[Chosen[Lean]], int]:
    """As `_spread`, reading again only the candidates of assessors whose pool or plan has
    changed since their share was last worked out in this process. The spread is a greedy
    cover (each pick depends on the ones before it), so it runs here rather than in SQL; what
    the database works out set-based is which assessors' pools changed. A decision made while
    an IQA reviews re-reads one assessor's few hundred candidates, not the centre's
    thousands."""
    pools, plans = _pools(period), _plans()
    own = pools.pop(iqa.id, (0, 0, 0))[0]
    kept = _shares()
    with _lock:
        found = {a: kept.get((period, a)) for a in pools}
    stale = [
        a
        for a, pool in pools.items()
        if (hit := found[a]) is None or hit[0] != (pool, plans.get(a))
    ]
    if stale:
        # One statement for every changed assessor (a centre has a few dozen).
        query = _candidates(period).where(Decision.assessor_id.in_(stale))
        rows = [Lean._make((*r, i)) for i, r in enumerate(db.session.execute(query))]
        parts, _ = choose(rows, plans, iqa.id, key=lambda r: r.position)
        with _lock:
            for part in parts:
                state = (pools[part.assessor_id], plans.get(part.assessor_id))
                kept[(period, part.assessor_id)] = found[part.assessor_id] = (state, part)
                kept.move_to_end((period, part.assessor_id))
            while len(kept) > _SHARES_KEPT:
                kept.popitem(last=False)
    return [hit[1] for a in pools if (hit := found[a]) is not None], own


def work_out(iqa: User, period: Period, *, lock: bool = False) -> Worked:
    """The proposal for `period`. Working it out reads every candidate (as ids); the answer is
    kept, per process, until a decision, sample or plan changes (`_version`), so paging and
    filtering it costs a few index look-ups. Taking a sample (`lock`) always works it out
    afresh, under lock."""
    key: tuple[Any, ...] = ()
    if lock:
        parts, own = _spread(iqa, period, lock=True)
    else:
        key = (iqa.id, period, _version())
        cache = _cache()
        with _lock:
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
        if hit is None:
            hit = _kept_spread(iqa, period)
            with _lock:
                cache[key] = hit
                while len(cache) > _CACHE_SIZE:
                    cache.popitem(last=False)
        parts, own = hit
    names = _names({p.assessor_id for p in parts})
    if not lock:
        # The same proposal and the same names make the same Worked (immutable): kept with it,
        # so a page of a kept proposal does not order and wrap its thousands of entries again.
        with _lock:
            made = _worked_cache().get(key)
        if made is not None and made[0] == names:
            return made[1]

    def name(part: Chosen[Lean]) -> str:
        return names.get(part.assessor_id, "")

    ordered = sorted(parts, key=lambda part: (name(part), part.assessor_id))
    shares = tuple(
        Share(p.assessor_id, name(p), p.plan, p.decisions, len(p.picks)) for p in ordered
    )
    entries = tuple(Entry(pick, p.plan, name(p)) for p in ordered for pick in p.picks)
    worked = Worked(period, shares, entries, own)
    if not lock:
        with _lock:
            kept = _worked_cache()
            kept[key] = (names, worked)
            kept.move_to_end(key)
            while len(kept) > _CACHE_SIZE:
                kept.popitem(last=False)
    return worked


def _names(ids: Collection[int]) -> dict[int, str]:
    """The assessors' names now (a few dozen): never cached, so a rename shows at once."""
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {r.id: r.name for r in rows}


@dataclass(frozen=True)
class Row:
    """A proposed decision as the page shows it."""

    decision_id: int
    evidence_title: str
    learner_name: str
    assessor_name: str
    type_title: str
    element_title: str
    outcome: Outcome
    decided_at: datetime
    reason: str

    @property
    def stage(self) -> Stage:
        return Stage.of(self.outcome)


def _rows(entries: Sequence[Entry]) -> list[Row]:
    """Names and titles for a page of proposed decisions: one statement."""
    if not entries:
        return []
    found = {
        r.id: r
        for r in db.session.execute(
            select(
                Decision.id,
                Decision.outcome,
                Decision.decided_at,
                Submission.title,
                User.name.label("learner_name"),
                Element.title.label("element_title"),
            )
            .join(Submission, Submission.id == Decision.submission_id)
            .join(Evidence, Evidence.id == Submission.evidence_id)
            .join(User, User.id == Evidence.learner_id)
            .join(Element, Element.id == Evidence.element_id)
            .where(Decision.id.in_([e.decision_id for e in entries]))
        )
    }
    types = evidence_services.evidence_types()
    rows = []
    for e in entries:
        r = found[e.decision_id]
        spec = types.get(e.pick.row.type_id)
        type_title = spec.title if spec else e.pick.row.type_id
        reason = describe(
            e.pick,
            e.plan,
            learner_name=r.learner_name,
            type_title=type_title,
            element_title=r.element_title,
            assessor_name=e.assessor_name,
        )
        rows.append(
            Row(
                e.decision_id,
                r.title,
                r.learner_name,
                e.assessor_name,
                type_title,
                r.element_title,
                r.outcome,
                r.decided_at,
                reason,
            )
        )
    return rows


@dataclass(frozen=True)
class ProposalPage:
    """What the proposal page shows: the shares, one page of the (filtered) proposed decisions,
    and what a take from this page needs to name what was shown."""

    worked: Worked
    filters: Filters
    page: Paged[Row]
    matching: int
    fingerprint: str
    shown: tuple[int, ...] = field(default=())


def proposal_page(
    iqa: User, period: Period, filters: Filters, asked: PageArg, worked: Worked | None = None
) -> ProposalPage:
    """One page of the proposal for `period` (worked out here unless given)."""
    worked = worked or work_out(iqa, period)
    matching = worked.matching(filters)
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    number, message = asked.number, asked.message
    if number > pages:
        number, message = 1, f"There is no page {number}: showing the first page."
    chosen = matching[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    page = Paged(_rows(chosen), len(matching), number, PAGE_SIZE, message)
    return ProposalPage(
        worked,
        filters,
        page,
        len(matching),
        fingerprint(matching) if filters.active else worked.fingerprint,
        tuple(e.decision_id for e in chosen),
    )


def propose_sample(iqa: User, period: Period) -> Worked:
    """What to sample from the live, not yet sampled decisions made in `period`."""
    return work_out(iqa, period)


def _refuse_own(iqa: User, ids: Collection[int]) -> None:
    if not ids:
        return
    own = select(func.count()).where(Decision.id.in_(ids), Decision.assessor_id == iqa.id)
    if db.session.scalar(own):
        raise Refused("You cannot sample your own assessment decisions.")


CHANGED = (
    "The proposal has changed since you opened it (or a decision was not in it): "
    "check it again and take the sample."
)


def take_sample(iqa: User, period: Period, decision_ids: Collection[int]) -> Sample:
    """Sample the chosen decisions of the proposal (the IQA may leave some out, never add
    any), each frozen as it stands now."""
    if not decision_ids:
        raise Refused("Choose at least one decision to sample.")
    _refuse_own(iqa, decision_ids)
    worked = work_out(iqa, period, lock=True)
    if not set(decision_ids) <= worked.decision_ids:
        db.session.rollback()
        raise Refused(CHANGED)
    chosen = [e for e in worked.entries if e.decision_id in decision_ids]
    return _record(iqa, worked, chosen, {})


def take_proposal(
    iqa: User,
    period: Period,
    filters: Filters,
    expected: str,
    shown: Collection[int],
    ticked: Collection[int],
) -> Sample:
    """Sample every proposed decision matching `filters`, less those shown on the page and
    left unticked. `expected` is the fingerprint of what the page showed: a proposal that has
    changed since (a decision made, reopened or sampled by another IQA) is refused, so the IQA
    never takes decisions they were not shown the count of."""
    left_out = set(shown) - set(ticked)
    _refuse_own(iqa, set(shown) | set(ticked))
    if not set(ticked) <= set(shown):
        raise Refused(CHANGED)
    worked = work_out(iqa, period, lock=True)
    matching = worked.matching(filters)
    ids = {e.decision_id for e in matching}
    if fingerprint(matching) != expected or not set(shown) <= ids:
        db.session.rollback()
        raise Refused(CHANGED)
    chosen = [e for e in matching if e.decision_id not in left_out]
    if not chosen:
        db.session.rollback()
        raise Refused("Choose at least one decision to sample.")
    return _record(iqa, worked, chosen, filters.as_dict())


def _frozen(ids: Sequence[int]) -> Iterator[Decision]:
    """The decisions with everything a snapshot holds, a batch of round trips at a time."""
    for at in range(0, len(ids), TAKE_BATCH):
        batch = ids[at : at + TAKE_BATCH]
        yield from db.session.scalars(
            select(Decision)
            .where(Decision.id.in_(batch))
            .options(
                joinedload(Decision.assessor),
                selectinload(Decision.points).joinedload(PointDecision.marking_point),
                joinedload(Decision.submission).options(
                    selectinload(Submission.claims),
                    selectinload(Submission.attachments),
                    joinedload(Submission.evidence)
                    # Not the working draft: it can be long, and the snapshot is of what
                    # was submitted.
                    .load_only(
                        Evidence.id,
                        Evidence.learner_id,
                        Evidence.type_id,
                        Evidence.element_id,
                        Evidence.version,
                    )
                    .options(joinedload(Evidence.learner), joinedload(Evidence.element)),
                ),
            )
        ).unique()


def _record(iqa: User, worked: Worked, chosen: Sequence[Entry], filters: dict[str, str]) -> Sample:
    parameters: dict[str, Any] = {
        "period": worked.period.as_dict(),
        "proposed": len(worked.entries),
        "taken": len(chosen),
    }
    if filters:
        parameters["filters"] = filters
    sample = Sample(iqa_id=iqa.id, parameters=parameters)
    db.session.add(sample)
    db.session.flush()
    types = evidence_services.evidence_types()
    by_id = {e.decision_id: e for e in chosen}
    loaded = {d.id: d for d in _frozen([e.decision_id for e in chosen])}
    items = []
    for entry in chosen:
        decision = loaded[entry.decision_id]
        evidence = decision.submission.evidence
        spec = types.get(evidence.type_id)
        type_title = spec.title if spec else evidence.type_id
        reason = describe(
            by_id[decision.id].pick,
            entry.plan,
            learner_name=evidence.learner.name,
            type_title=type_title,
            element_title=evidence.element.title,
            assessor_name=decision.assessor.name,
        )
        items.append(
            {
                "sample_id": sample.id,
                "decision_id": decision.id,
                "reason": reason,
                "snapshot": snapshot.freeze(decision, type_title),
                "feedback": "",
            }
        )
    # Core, not ORM, bulk insert: thousands of rows, and no objects wanted back.
    db.session.execute(insert(cast(Table, SampleItem.__table__)), items)
    audit.record(
        "sample.taken",
        "sample",
        sample.id,
        actor_id=iqa.id,
        after={
            "period": worked.period.as_dict(),
            "proposed": len(worked.entries),
            "decisions": sorted(by_id),
            **({"filters": filters} if filters else {}),
        },
    )
    db.session.commit()
    return sample
