"""The audit trail: the planned activity's entries, topped up to the size's count, chained with
core.audit's own hash after whatever trail the database already holds."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bench.centre.base import PlannerBase
from bench.centre.rows import insert_rows, next_id
from portfolio.core.audit import GENESIS, AuditEntry, _plain, entry_hash
from portfolio.extensions import db


class AuditPlanner(PlannerBase):
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


def write_audit(plan: PlannerBase) -> int:
    """The trail, in time order, chained on from the last entry already there."""
    tail = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    previous = tail or GENESIS
    first = next_id(AuditEntry.id)
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
    return insert_rows(AuditEntry.__table__, rows)
