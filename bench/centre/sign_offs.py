"""Element sign-offs: learners whose every point of an element is met, signed off by their
assessor, planned and written with the snapshot of what met each point."""

from __future__ import annotations

from datetime import datetime

from bench.centre.base import PlannerBase
from bench.centre.records import Item, SignOff
from bench.centre.rows import insert_rows, next_id, number
from portfolio.assessment.models import AssessorStatus, ElementSignOff, PointStatus


class SignOffPlanner(PlannerBase):
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


def write_sign_offs(plan: PlannerBase) -> None:
    number(plan.sign_offs, lambda s: s.signed_at, next_id(ElementSignOff.id))
    insert_rows(
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
