"""The whole centre's cohort totals, kept: learners who have met each marking point
(point_tally) and learners by how many of an element's live points they have met
(element_tally), so the cohort page for every learner reads a few rows instead of counting
every learner's met points (about 20,000 rows at 2,000 learners) on each view.

`record_change` moves the counts when one learner's met points of one element change; it runs
inside progress.refresh_progress, in the transaction of the change, with the learner's row
locked, and adds or subtracts with one atomic upsert a row, so two decisions at once for
different learners both count. The element counts are worked out against the live points
named in tally_state; `rebuild` counts everything again from point_met (the generated centre,
the migration, and whenever the rubric files are loaded, since retiring a point changes what
"every point" means). `totals` returns None when the live points have changed since, and the
page counts in SQL instead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    case,
    cast,
    delete,
    func,
    insert,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from portfolio.assessment.models import ElementTally, PointMet, PointTally, TallyState
from portfolio.extensions import db
from portfolio.qualifications.models import MarkingPoint

_STATE = "centre"


@dataclass(frozen=True)
class CentreTotals:
    met: Mapping[str, int]  # learners who met each point
    complete: Mapping[str, int]  # learners who met every live point of each element


def _live_points(element_id: str | None = None) -> list[tuple[str, str]]:
    """(element_id, point id) of every live point (of one element), in a stable order."""
    query = select(MarkingPoint.element_id, MarkingPoint.id).where(MarkingPoint.retired.is_(False))
    if element_id is not None:
        query = query.where(MarkingPoint.element_id == element_id)
    return [(e, p) for e, p in db.session.execute(query.order_by(MarkingPoint.id))]


def _stamp(live: Iterable[tuple[str, str]]) -> str:
    return ",".join(sorted(p for _, p in live))


def _add(table: type[PointTally] | type[ElementTally], rows: list[dict[str, object]]) -> None:
    """Add each row's `learners` to its counter, making it where missing: one upsert a row,
    whose increment PostgreSQL applies to the committed value under a row lock."""
    keys = ["marking_point_id"] if table is PointTally else ["element_id", "met"]
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    for row in rows:
        statement = dialect.insert(table).values(**row)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=keys,
                set_={"learners": table.learners + statement.excluded.learners},
            )
        )


def record_change(element_id: str, before: set[str], after: set[str]) -> None:
    """One learner's met points of an element went from `before` to `after`."""
    if before == after:
        return
    live = {p for _, p in _live_points(element_id)}
    points: list[dict[str, object]] = [
        {"marking_point_id": p, "learners": 1 if p in after else -1} for p in sorted(before ^ after)
    ]
    was, now = len(before & live), len(after & live)
    counts: list[dict[str, object]] = []
    if was != now:
        counts = [
            {"element_id": element_id, "met": met, "learners": change}
            for met, change in sorted(((was, -1), (now, 1)))
            if met > 0
        ]
    _add(PointTally, points)
    _add(ElementTally, counts)


def rebuild() -> None:
    """Count both tallies again from point_met against the live points; the caller commits."""
    live = _live_points()
    db.session.execute(delete(PointTally))
    db.session.execute(delete(ElementTally))
    db.session.execute(
        insert(PointTally).from_select(
            ["marking_point_id", "learners"],
            select(PointMet.marking_point_id, func.count()).group_by(PointMet.marking_point_id),
        )
    )
    live_ids = [p for _, p in live]
    per_learner = (
        select(
            PointMet.element_id,
            func.sum(case((PointMet.marking_point_id.in_(live_ids), 1), else_=0)).label("met"),
        )
        .group_by(PointMet.learner_id, PointMet.element_id)
        .subquery()
    )
    db.session.execute(
        insert(ElementTally).from_select(
            ["element_id", "met", "learners"],
            select(per_learner.c.element_id, per_learner.c.met, func.count())
            .where(per_learner.c.met > 0)
            .group_by(per_learner.c.element_id, per_learner.c.met),
        )
    )
    state = db.session.get(TallyState, _STATE)
    if state is None:
        db.session.add(TallyState(name=_STATE, live_points=_stamp(live)))
    else:
        state.live_points = _stamp(live)
    db.session.flush()


def totals(points: Mapping[str, Sequence[MarkingPoint]]) -> CentreTotals | None:
    """The whole centre's counts for the live points (element id -> its live points, every
    element), or None when the tallies were counted against other live points. One
    statement: the state's row, then a row a point, then a row an element and count."""
    # Typed NULLs: PostgreSQL matches a UNION's columns pairwise, and an untyped NULL is text.
    text, key, number = cast(null(), Text), cast(null(), String), cast(null(), Integer)
    rows: list[Any] = list(
        db.session.execute(
            union_all(
                select(TallyState.live_points, key, number, number).where(
                    TallyState.name == _STATE
                ),
                select(text, PointTally.marking_point_id, PointTally.learners, number),
                select(text, ElementTally.element_id, ElementTally.learners, ElementTally.met),
            )
        )
    )
    live = [(e, p.id) for e, found in points.items() for p in found]
    if not any(stamp == _stamp(live) for stamp, key, _, _ in rows if key is None):
        return None
    met: dict[str, int] = {}
    complete: dict[str, int] = {}
    size = {e: len(found) for e, found in points.items()}
    for _, key, learners, count_of in rows:
        if key is None:
            continue
        if count_of is None:
            met[key] = learners
        elif size.get(key) and count_of == size[key]:
            complete[key] = learners
    return CentreTotals(met, complete)
