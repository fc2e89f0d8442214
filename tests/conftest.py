"""Fixtures: an app on a fresh database (SQLite, or PostgreSQL when
PORTFOLIO_TEST_DATABASE_URL is set), a client, users of every role, and sign-in helpers."""

from __future__ import annotations

import atexit
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import URL, Engine, NullPool, create_engine, make_url, text

from portfolio import create_app
from portfolio.config import ROOT, normalise_database_url
from portfolio.data import DataSet, read_all
from portfolio.extensions import db
from tests.factories import Factory


def _drop_database(url: URL, name: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _private_database(url: URL, name: str, template: str | None = None) -> str:
    """A database of this run's own, made beside the one named and dropped at exit, so runs
    side by side (several engineers, or pytest-xdist) never drop each other's schema."""
    _drop_database(url, name)
    with _maintenance(url).connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    atexit.register(_drop_database, url, name)
    return url.set(database=name).render_as_string(hide_password=False)


_engines: dict[str, Engine] = {}


def _maintenance(url: URL) -> Engine:
    """One autocommit connection pool to the database named in the setting, for creating
    and dropping this run's databases (never one of them)."""
    key = url.render_as_string(hide_password=False)
    if key not in _engines:
        _engines[key] = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    return _engines[key]


_BASE_URL = (
    make_url(normalise_database_url(os.environ["PORTFOLIO_TEST_DATABASE_URL"]))
    if os.environ.get("PORTFOLIO_TEST_DATABASE_URL")
    else None
)
_RUN = f"{_BASE_URL.database}_run{os.getpid()}" if _BASE_URL else ""
TEST_DATABASE_URL = _private_database(_BASE_URL, _RUN) if _BASE_URL else None


@pytest.fixture(scope="session")
def shipped_data() -> DataSet:
    data = read_all(ROOT / "rubrics", ROOT / "content")
    assert not data.errors, data.errors
    return data


def _reset_schema() -> None:
    if db.engine.dialect.name == "postgresql":
        # drop_all cannot see tables an older schema left behind (e.g. alembic_version).
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
    db.create_all()


def make_app(tmp_path: Path, **overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": "test-secret-key",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        # Exports run before the request returns, so a test sees the finished job.
        "EXPORT_RUNNER": "inline",
        "REDIS_URL": None,  # whatever the environment says: tests choose their runner
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session")
def postgres_template(
    tmp_path_factory: pytest.TempPathFactory, shipped_data: DataSet
) -> str | None:
    """On PostgreSQL, the same idea as sqlite_template: the schema and shipped data are built
    once in a template database, and each test's database is created as a copy of it."""
    from portfolio.cli import load_data

    if _BASE_URL is None:
        return None
    name = f"{_RUN}_template"
    url = _private_database(_BASE_URL, name)
    app = make_app(tmp_path_factory.mktemp("pg-template"), SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        load_data(shipped_data)
        db.session.remove()
        db.engine.dispose()  # a template must have no connections when it is copied
    return name


def _copy_postgres_template(template: str) -> None:
    assert _BASE_URL is not None
    with _maintenance(_BASE_URL).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_RUN}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{_RUN}" TEMPLATE "{template}"'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, shipped_data: DataSet) -> Path | None:
    """On SQLite, the schema and shipped data are built once and each test gets a copy."""
    from portfolio.cli import load_data

    if TEST_DATABASE_URL:
        return None
    folder = tmp_path_factory.mktemp("template")
    app = make_app(folder, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'template.sqlite3'}")
    with app.app_context():
        db.create_all()
        load_data(shipped_data)
        db.session.remove()
        db.engine.dispose()  # the last connection closing folds the WAL into the file
    return folder / "template.sqlite3"


@pytest.fixture
def app(
    tmp_path: Path, sqlite_template: Path | None, postgres_template: str | None
) -> Iterator[Flask]:
    if sqlite_template is not None:
        shutil.copyfile(sqlite_template, tmp_path / "test.sqlite3")
    if postgres_template is not None:
        _copy_postgres_template(postgres_template)
    app = make_app(tmp_path)
    # No app context stays pushed: each client request must get its own, as in production
    # (a shared one would share `g`, the signed-in user and the database session).
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An app context for tests that call services directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory(app)


_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, url: str = "/auth/login") -> str:
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def post(
    client: FlaskClient,
    url: str,
    data: dict[str, object] | None = None,
    form_url: str | None = None,
    **kwargs: object,
):  # type: ignore[no-untyped-def]
    """POST like a browser would: with the CSRF token the page carried."""
    token = csrf_token(client, form_url or "/auth/login")
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def login(client: FlaskClient, email: str, password: str = Factory.PASSWORD):  # type: ignore[no-untyped-def]
    return post(client, "/auth/login", {"email": email, "password": password})
