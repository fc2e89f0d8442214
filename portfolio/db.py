"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import enum
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


# A stored (naive UTC) timestamp made aware by adding its distance from the epoch to the aware
# epoch: the same value as .replace(tzinfo=UTC) for about a tenth of the cost, and every
# timestamp of every row read passes through here (a list page reads a hundred or more).
_NAIVE_EPOCH = datetime(1970, 1, 1)
_UTC_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC and always hands back an aware UTC datetime.

    SQLite has no time zones, so without this the same column would come back
    aware on PostgreSQL and naive on SQLite.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            return value.replace(tzinfo=UTC)
        return _UTC_EPOCH + (value - _NAIVE_EPOCH)


def str_enum(cls: type[enum.StrEnum]) -> Enum:
    """An enum column stored as its string value, with a CHECK constraint on every backend."""
    return Enum(
        cls,
        name=cls.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def include_in_migrations(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: SQLite's FTS5 search index and its shadow tables are made by hand in
    a migration, not described by the models, so autogenerate must leave them alone."""
    return not (type_ == "table" and (name or "").startswith("page_fts"))


class CreatedMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# PostgreSQL's planner assumes a random page read costs four sequential ones (spinning disks).
# Our working set is in memory or on SSD, where the documentation advises about 1.1: at the
# default, the cohort tracking page's counts read every point met (a hash join over a whole
# table, 4 ms at the large bench centre) rather than the group's 200 learners' rows from the
# primary key (1.3 ms). Set per connection, so it needs no rights over the database.
POSTGRES_SETTINGS = {"random_page_cost": "1.1"}


@event.listens_for(Engine, "connect")
def _connection_settings(dbapi_connection: Any, connection_record: Any) -> None:
    # The embedded default must survive concurrent requests: WAL lets readers work
    # during a write, busy_timeout waits instead of failing, foreign keys are off
    # in SQLite unless asked for. synchronous=NORMAL is SQLite's advice for WAL: no
    # corruption risk, and it drops the fsync on every commit.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
    elif type(dbapi_connection).__module__.startswith("psycopg"):
        for name, value in POSTGRES_SETTINGS.items():
            dbapi_connection.execute(f"SET {name} = {value}")
        # Committed: a session setting made in a transaction that is rolled back (as the
        # pool does when it takes the connection back) is undone with it.
        dbapi_connection.commit()


# How often (in SQLite virtual-machine steps) a running statement checks its time limit.
_SQLITE_STEPS = 20_000


def limit_statements(engine: Engine, seconds: int) -> None:
    """On SQLite, a statement running longer than `seconds` is interrupted (an
    OperationalError, which the error pages answer with a 503), as PostgreSQL's
    statement_timeout does there (config._engine_options). SQLite has no such setting: each
    connection gets a progress handler that checks a deadline set as each statement starts."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _watch(dbapi_connection: Any, connection_record: Any) -> None:
        info = connection_record.info

        def past_deadline() -> int:
            deadline = info.get("deadline")
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        dbapi_connection.set_progress_handler(past_deadline, _SQLITE_STEPS)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, *_: Any) -> None:
        conn.info["deadline"] = time.monotonic() + seconds

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn: Any, *_: Any) -> None:
        conn.info["deadline"] = None
