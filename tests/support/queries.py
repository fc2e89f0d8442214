"""Counting the SQL statements a page or service runs, and reading a query's plan, so tests can
say "the same number of statements at both sizes" and "this query uses an index" without ever
timing anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event, text
from sqlalchemy.sql import ClauseElement

from portfolio.extensions import db


@contextmanager
def statements(engine: Engine | None = None) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block (SAVEPOINTs and PRAGMAs too),
    as text. Use inside an app context, or pass the engine."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    target = engine if engine is not None else db.engine
    event.listen(target, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", record)


def count_request(app: Flask, run: Callable[[], Any]) -> list[str]:
    """The statements run while `run()` (a client request) is served."""
    with app.app_context():
        engine = db.engine
    with statements(engine) as seen:
        run()
    return list(seen)


def plan(query: ClauseElement | str, params: dict[str, Any] | None = None) -> str:
    """The database's plan for a query, as one lower-case text: EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN on PostgreSQL (with sequential scans discouraged, so a usable index is chosen
    even on the small tables of a test)."""
    compiled = (
        query
        if isinstance(query, str)
        else str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    )
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))
            rows = conn.execute(text("EXPLAIN " + compiled), params or {}).all()
            conn.rollback()
            return "\n".join(str(r[0]) for r in rows).lower()
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + compiled), params or {}).all()
        return "\n".join(str(r[-1]) for r in rows).lower()


def full_scans(query: ClauseElement | str, tables: tuple[str, ...]) -> list[str]:
    """The plan's lines that read the whole of one of `tables` rather than through an index
    (empty when every read of them uses an index)."""
    found = []
    for line in plan(query).splitlines():
        for table in tables:
            if f"scan {table}" in line and "using" not in line and "index" not in line:
                found.append(line)  # SQLite: "SCAN decision" without "USING INDEX"
            if f"seq scan on {table}" in line:
                found.append(line)  # PostgreSQL
    return found
