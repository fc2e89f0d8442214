"""Each new database connection is set up for the app (portfolio/db.py): SQLite's pragmas,
PostgreSQL's planner settings, and still so after the pool has rolled a connection back."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portfolio.db import POSTGRES_SETTINGS
from portfolio.extensions import db
from tests.conftest import make_app


def _settings() -> dict[str, str]:
    if db.engine.dialect.name == "sqlite":
        return {
            name: str(db.session.execute(text(f"PRAGMA {name}")).scalar())
            for name in ("foreign_keys", "busy_timeout", "journal_mode", "synchronous")
        }
    return {
        name: str(db.session.execute(text(f"SHOW {name}")).scalar()) for name in POSTGRES_SETTINGS
    }


def test_every_connection_has_the_apps_settings(app: Flask) -> None:
    expected = (
        # 1 is NORMAL
        {"foreign_keys": "1", "busy_timeout": "5000", "journal_mode": "wal", "synchronous": "1"}
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
        else POSTGRES_SETTINGS
    )
    with app.app_context():
        db.engine.dispose()  # a new connection, made now
        assert _settings() == expected
        db.session.rollback()
        db.session.remove()  # back to the pool, rolled back
        assert _settings() == expected


# Faults: a statement past its time limit, a database that cannot be reached


def _forever(app: Flask) -> str:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Counts for ever: only the progress handler's deadline stops it.
        return (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
        )
    return "SELECT pg_sleep(30)"


def test_a_statement_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    app = make_app(tmp_path, DB_STATEMENT_SECONDS=1)
    with app.app_context():
        started = time.monotonic()
        with pytest.raises(OperationalError):
            db.session.execute(text(_forever(app)))
        assert time.monotonic() - started < 10
        db.session.rollback()
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # the connection carries on
        db.session.remove()
        db.engine.dispose()


def _unreachable(tmp_path: Path) -> Flask:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return make_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"postgresql://nobody@127.0.0.1:{port}/x")


def test_an_unreachable_database_gives_a_503_page_that_needs_no_database(tmp_path: Path) -> None:
    app = _unreachable(tmp_path)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-token"  # so the request must ask the database who this is
    response = client.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "Please try again in a moment (error 503)" in page
    assert "Traceback" not in page and "OperationalError" not in page
    answer = client.get("/", headers={"Accept": "application/json"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert "try again in a moment" in answer.get_json()["error"]
