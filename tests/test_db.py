"""Each new database connection is set up for the app (portfolio/db.py): SQLite's pragmas,
PostgreSQL's planner settings, and still so after the pool has rolled a connection back."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from portfolio.db import POSTGRES_SETTINGS
from portfolio.extensions import db


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
