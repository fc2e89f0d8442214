"""Bulk inserts of planned rows, ids handed out after the database's own, and PostgreSQL's
sequences moved on past them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, insert, select, text

from portfolio.extensions import db

BATCH = 5000


def next_id(column: Any) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


def insert_rows(table: Any, rows: Iterable[dict[str, Any]]) -> int:
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.session.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        db.session.execute(insert(table), batch)
        count += len(batch)
    return count


def number(rows: Iterable[Any], key: Callable[[Any], Any], first: int) -> None:
    for n, row in enumerate(sorted(rows, key=key)):
        row.id = first + n


_SEQUENCED = (
    "cohort",
    "user_account",
    "evidence",
    "submission",
    "decision",
    "sample",
    "sample_item",
    "element_sign_off",
    "attempt",
    "audit_entry",
)


def advance_sequences() -> None:
    """PostgreSQL: rows written with their ids leave the id sequences behind; move them on."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in _SEQUENCED:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )
