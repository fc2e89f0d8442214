"""Reading the audit trail with filters, a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from portfolio.core.audit import AuditEntry, ChainReport, verify_chain
from portfolio.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor_id: int | None = None
    learner_id: int | None = None
    since: date | None = None
    until: date | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor_id is not None:
            query = query.where(AuditEntry.actor_id == self.actor_id)
        if self.learner_id is not None:
            query = query.where(AuditEntry.learner_id == self.learner_id)
        if self.since is not None:
            query = query.where(AuditEntry.at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            query = query.where(AuditEntry.at < end)
        return query


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[AuditEntry]
    total: int
    page: int
    pages: int


def list_entries(filters: AuditFilter, page: int = 1) -> AuditPage:
    """Newest first."""
    total = db.session.scalar(filters.apply(select(func.count()).select_from(AuditEntry))) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    entries: Sequence[AuditEntry] = db.session.scalars(
        filters.apply(select(AuditEntry))
        .order_by(AuditEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return AuditPage(entries, total, page, pages)


def actions() -> list[str]:
    query = select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    return list(db.session.scalars(query))


def entries_for_learner(learner_id: int) -> Sequence[AuditEntry]:
    """A learner's whole trail, oldest first (the portfolio PDF's appendix)."""
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.learner_id == learner_id).order_by(AuditEntry.id)
    ).all()


def check_chain() -> ChainReport:
    return verify_chain()
