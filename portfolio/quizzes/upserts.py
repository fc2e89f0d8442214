"""Counters kept by adding to them: INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL
alike, for the analytics' summaries (quizzes.tallies, quizzes.group_tally)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from portfolio.extensions import db


def upsert(table: Table) -> Any:
    """INSERT ... ON CONFLICT for this session's database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def adding(table: Table, keys: list[str], counts: list[str]) -> Any:
    """An insert of new rows that, where the row is there, adds the counts to it instead:
    PostgreSQL applies the addition to the committed value under the row's lock, so two
    transactions adding at once both count."""
    statement = upsert(table)
    return statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + statement.excluded[name] for name in counts},
    )
