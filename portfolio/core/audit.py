"""The append-only audit trail: who did what, when, with the state before and after, each
entry chained to the one before by a SHA-256 hash so any later change to a row shows.

Entries are written inside the caller's transaction (a decision and its audit entry commit or
roll back together). Nothing in the app updates or deletes an entry: the ORM refuses to, and
`verify_chain` finds any row changed behind its back, naming the first one broken."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Row,
    String,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from portfolio.db import Base, UTCDateTime, utcnow
from portfolio.extensions import db

GENESIS = "0" * 64
# Any fixed number: the key of the PostgreSQL lock that puts appends to the chain in order.
_CHAIN_LOCK = 7_302_115


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    # The trail is read newest first a page at a time, filtered by one of these: each index
    # ends in the id so PostgreSQL walks it in page order (SQLite's end in the rowid anyway).
    __table_args__ = (
        Index("ix_audit_entry_action_id", "action", "id"),
        Index("ix_audit_entry_actor_id_id", "actor_id", "id"),
        Index("ix_audit_entry_learner_id_id", "learner_id", "id"),
        Index("ix_audit_entry_subject", "subject_type", "subject_id", "id"),
        Index("ix_audit_entry_at_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # None for the system itself (a command-line import, a scheduled job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    # The learner whose record this concerns, so their trail can be read (and exported) alone.
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Unique: two writers that read the same tail cannot both extend it (no fork).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def payload(self) -> dict[str, Any]:
        return _payload(self)


def _payload(entry: AuditEntry | Row[Any]) -> dict[str, Any]:
    """What the hash covers; `entry` is a loaded entry or a row of its columns."""
    return {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "action": entry.action,
        "subject": [entry.subject_type, entry.subject_id],
        "learner": entry.learner_id,
        "before": entry.before,
        "after": entry.after,
        "prev": entry.prev_hash,
    }


class AuditCheckpoint(Base):
    """How far the chain is known to be intact, so the audit page checks only the entries added
    since instead of recomputing every hash on each view. One row. `portfolio audit verify`
    recomputes the whole chain and writes what it found here; the page moves `entry_id` on as
    it checks newer entries. The checkpoint is a record of checks made, not a proof: a row
    changed behind the app's back before `entry_id` shows only at the next full check."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The last entry checked (0: none yet), its hash, and how many entries up to it.
    entry_id: Mapped[int] = mapped_column(default=0)
    entry_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    entries: Mapped[int] = mapped_column(default=0)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_by: Mapped[str] = mapped_column(String(80), default="")
    # The last time the whole chain was recomputed from the first entry, and by what.
    full_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    full_by: Mapped[str] = mapped_column(String(80), default="")
    full_entries: Mapped[int] = mapped_column(default=0)
    # The first broken entry the last check found; cleared only by a full check that passes.
    broken_id: Mapped[int | None] = mapped_column()
    broken_reason: Mapped[str] = mapped_column(String(200), default="")
    broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    broken_by: Mapped[str] = mapped_column(String(80), default="")


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
    # The last entry found intact (0 and the genesis hash before the first).
    last_id: int = 0
    last_hash: str = GENESIS

    @property
    def intact(self) -> bool:
        return self.broken_id is None


# Entries read per statement by a full check: memory stays bounded whatever the trail's size.
VERIFY_BATCH = 1000
_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.action,
    AuditEntry.subject_type,
    AuditEntry.subject_id,
    AuditEntry.learner_id,
    AuditEntry.before,
    AuditEntry.after,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def _rows_after(after_id: int, limit: int) -> Sequence[Row[Any]]:
    # Keyset on the primary key: batch 100 costs what batch 1 does (OFFSET would not).
    query = select(*_COLUMNS).where(AuditEntry.id > after_id).order_by(AuditEntry.id)
    return db.session.execute(query.limit(limit)).all()


def _walk(rows: Sequence[Row[Any]], report: ChainReport) -> ChainReport:
    """Carry a check on from `report` (intact so far) through `rows`, the next entries."""
    count, last_id, previous = report.entries, report.last_id, report.last_hash
    for row in rows:
        count += 1
        if row.prev_hash != previous:
            reason = "it does not link to the entry before it"
            return ChainReport(count, row.id, reason, last_id, previous)
        if entry_hash(_payload(row)) != row.hash:
            reason = "its content no longer matches its hash"
            return ChainReport(count, row.id, reason, last_id, previous)
        last_id, previous = row.id, row.hash
    return ChainReport(count, None, "", last_id, previous)


def verify_chain(batch: int = VERIFY_BATCH) -> ChainReport:
    """Recompute every hash in order; name the first entry whose content or link is wrong.
    Read in batches by id, so memory does not grow with the trail. Changes nothing."""
    report = ChainReport(0, None, "")
    while True:
        rows = _rows_after(report.last_id, batch)
        report = _walk(rows, report)
        if not report.intact or len(rows) < batch:
            return report


def _checkpoint_for_update() -> AuditCheckpoint:
    found = db.session.get(AuditCheckpoint, 1)
    if found is not None:
        return found
    try:
        db.session.execute(insert(AuditCheckpoint).values(id=1))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another process made it first
    return db.session.get(AuditCheckpoint, 1, populate_existing=True) or AuditCheckpoint(id=1)


def _record(report: ChainReport, by: str, *, full: bool) -> None:
    """Write what a check found; commits. Never moves the checkpoint backwards: a page view
    may have checked further while a long full check ran."""
    _checkpoint_for_update()
    now = utcnow()
    row = AuditCheckpoint.__table__
    if full:
        db.session.execute(
            update(AuditCheckpoint)
            .where(row.c.id == 1)
            .values(full_at=now, full_by=by, full_entries=report.entries)
        )
    if report.last_id:
        known = report.entries if report.intact else report.entries - 1
        db.session.execute(
            update(AuditCheckpoint)
            .where(row.c.id == 1, row.c.entry_id <= report.last_id)
            .values(
                entry_id=report.last_id,
                entry_hash=report.last_hash,
                entries=known,
                checked_at=now,
                checked_by=by,
            )
        )
    if report.intact and full:
        values: dict[str, Any] = {"broken_id": None, "broken_reason": "", "broken_at": None}
        db.session.execute(
            update(AuditCheckpoint).where(row.c.id == 1).values(broken_by="", **values)
        )
    elif not report.intact:
        db.session.execute(
            update(AuditCheckpoint)
            .where(row.c.id == 1)
            .values(
                broken_id=report.broken_id,
                broken_reason=report.reason,
                broken_at=now,
                broken_by=by,
            )
        )
    db.session.commit()


def verify_and_record(by: str = "portfolio audit verify") -> ChainReport:
    """The full check (`verify_chain`), with its result kept as the checkpoint the audit page
    reports and continues from."""
    report = verify_chain()
    db.session.rollback()  # end the long read before writing
    _record(report, by, full=True)
    return report


@dataclass(frozen=True)
class ChainStatus:
    """What is known about the chain after a bounded check of the newest entries."""

    checked_to: int  # entries up to this id are known intact...
    checked: int  # ...this many of them
    unchecked: int  # newer entries nobody has checked yet (more than one view checks)
    newly_checked: int  # how many of the checked ones this check read
    checked_at: datetime | None
    checked_by: str
    full_at: datetime | None
    full_by: str
    full_entries: int
    broken_id: int | None = None
    broken_reason: str = ""
    broken_at: datetime | None = None
    broken_by: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def _status(found: AuditCheckpoint | None, unchecked: int, newly: int) -> ChainStatus:
    cp = found or AuditCheckpoint(entry_id=0, entries=0, checked_by="", full_by="")
    return ChainStatus(
        checked_to=cp.entry_id or 0,
        checked=cp.entries or 0,
        unchecked=unchecked,
        newly_checked=newly,
        checked_at=cp.checked_at,
        checked_by=cp.checked_by or "",
        full_at=cp.full_at,
        full_by=cp.full_by or "",
        full_entries=cp.full_entries or 0,
        broken_id=cp.broken_id,
        broken_reason=cp.broken_reason or "",
        broken_at=cp.broken_at,
        broken_by=cp.broken_by or "",
    )


def check_newest(limit: int, by: str) -> ChainStatus:
    """Check at most `limit` entries after the checkpoint (one read, whatever the trail's
    size), move the checkpoint on over those found intact, and say what is still unchecked.
    Once a break is recorded nothing more is checked until a full check passes."""
    found = db.session.get(AuditCheckpoint, 1)
    start = found.entry_id if found is not None else 0
    if found is not None and found.broken_id is not None:
        return _status(found, _newer_than(start), 0)
    rows = _rows_after(start, limit)
    previous = found.entry_hash if found is not None else GENESIS
    entries = found.entries if found is not None else 0
    report = _walk(rows, ChainReport(entries, None, "", start, previous))
    newly = len(rows) if report.intact else report.entries - entries - 1
    if not rows:
        return _status(found, _newer_than(start), 0)
    try:
        _record(report, by, full=False)
    except DBAPIError:
        # Another writer got in first (SQLite refuses to turn this view's read into a write
        # then): what this view checked still stands for this view, it is just not kept.
        db.session.rollback()
        kept = db.session.get(AuditCheckpoint, 1, populate_existing=True)
        status = _status(kept, _newer_than(report.last_id), newly)
        known = report.entries if report.intact else report.entries - 1
        return replace(
            status,
            checked_to=max(status.checked_to, report.last_id),
            checked=max(status.checked, known),
            broken_id=status.broken_id or report.broken_id,
            broken_reason=status.broken_reason or report.reason,
            broken_by=status.broken_by or by,
            broken_at=status.broken_at or (utcnow() if report.broken_id else None),
        )
    found = db.session.get(AuditCheckpoint, 1, populate_existing=True)
    return _status(found, _newer_than(found.entry_id if found is not None else 0), newly)


def _newer_than(entry_id: int) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.id > entry_id)
    return db.session.scalar(query) or 0
