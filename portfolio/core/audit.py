"""The append-only audit trail: who did what, when, with the state before and after, each
entry chained to the one before by a SHA-256 hash so any later change to a row shows.

Entries are written inside the caller's transaction (a decision and its audit entry commit or
roll back together). Nothing in the app updates or deletes an entry: the ORM refuses to, and
`verify_chain` finds any row changed behind its back, naming the first one broken."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event, select, text
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from portfolio.db import Base, UTCDateTime, utcnow
from portfolio.extensions import db

GENESIS = "0" * 64
# Any fixed number: the key of the PostgreSQL lock that puts appends to the chain in order.
_CHAIN_LOCK = 7_302_115


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # None for the system itself (a command-line import, a scheduled job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    # The learner whose record this concerns, so their trail can be read (and exported) alone.
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Unique: two writers that read the same tail cannot both extend it (no fork).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def payload(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "action": self.action,
            "subject": [self.subject_type, self.subject_id],
            "learner": self.learner_id,
            "before": self.before,
            "after": self.after,
            "prev": self.prev_hash,
        }


class AuditTampering(Exception):
    """Something tried to change or delete an audit entry through the app."""


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper: Mapper[Any], connection: Any, target: AuditEntry) -> None:
    raise AuditTampering(f"audit entry {target.id} is append-only")


def entry_hash(payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _tail_hash() -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        # Held to the end of the transaction: appends from concurrent requests queue here
        # instead of failing on the unique prev_hash.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS


def record(
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor_id: int | None,
    learner_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction; the caller commits."""
    db.session.flush()  # the tail must include entries added earlier in this transaction
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        learner_id=learner_id,
        before=_plain(before),
        after=_plain(after),
        prev_hash=_tail_hash(),
    )
    entry.hash = entry_hash(entry.payload())
    db.session.add(entry)
    db.session.flush()
    return entry


def _plain(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """JSON-safe copy (datetimes as ISO text), so the stored value hashes as it was given."""
    if value is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=_default))
    return result


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken_id: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def _in_order() -> Iterator[AuditEntry]:
    offset = 0
    while True:
        batch = db.session.scalars(
            select(AuditEntry).order_by(AuditEntry.id).offset(offset).limit(500)
        ).all()
        if not batch:
            return
        yield from batch
        offset += len(batch)


def verify_chain() -> ChainReport:
    """Recompute every hash in order; name the first entry whose content or link is wrong."""
    previous, count = GENESIS, 0
    for entry in _in_order():
        count += 1
        if entry.prev_hash != previous:
            return ChainReport(count, entry.id, "it does not link to the entry before it")
        if entry_hash(entry.payload()) != entry.hash:
            return ChainReport(count, entry.id, "its content no longer matches its hash")
        previous = entry.hash
    return ChainReport(count, None, "")
