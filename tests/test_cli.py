"""The `portfolio` command: check, init/demo on a fresh database, create-user; and that the
migrations build exactly the schema the models describe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text

from portfolio import create_app
from portfolio.auth.models import Cohort, User
from portfolio.cli import main
from portfolio.config import ROOT
from portfolio.core.render_process import RenderFailed
from portfolio.db import include_in_migrations
from portfolio.export import services
from portfolio.extensions import db
from portfolio.quizzes.models import Attempt
from tests.conftest import TEST_DATABASE_URL, _reset_schema, make_app
from tests.factories import Factory


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "PORTFOLIO_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORTFOLIO_DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "PORTFOLIO_ENV": "development",
        **extra,
    }
    return env


def _empty_database(tmp_path: Path) -> None:
    if TEST_DATABASE_URL:
        app = make_app(tmp_path)
        with app.app_context():
            _reset_schema()
            db.drop_all()
            db.engine.dispose()


def run(tmp_path: Path, *args: str, **env: str) -> Result:
    """Invoke the command as a user would, then close the database connections it opened
    (an open PostgreSQL connection left to the garbage collector is a ResourceWarning)."""
    apps: list[Flask] = []

    def factory() -> Flask:
        apps.append(create_app())
        return apps[-1]

    try:
        return CliRunner().invoke(
            main,
            list(args),
            env=_env(tmp_path, **env),
            obj=ScriptInfo(create_app=factory, set_debug_flag=False),
        )
    finally:
        for app in apps:
            with app.app_context():
                db.engine.dispose()


def test_check_passes_on_the_shipped_files(tmp_path: Path) -> None:
    result = run(tmp_path, "check")
    assert result.exit_code == 0, result.output
    assert "data files valid" in result.output


def test_check_fails_with_file_and_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    quiz = content / "quizzes" / "pts-a-rights.yaml"
    lines = quiz.read_text().splitlines(keepends=True)
    flag = next(i for i, line in enumerate(lines) if "correct: true" in line)
    option_line = next(i for i in range(flag, 0, -1) if "- id:" in lines[i]) + 1
    lines[flag] = lines[flag].replace("correct: true", "correct: false")
    quiz.write_text("".join(lines))
    result = run(tmp_path, "check", PORTFOLIO_CONTENT_DIR=str(content))
    assert result.exit_code == 1
    # The option that lost its flag is now a wrong option with no misconception.
    assert f"{quiz}:{option_line}: a wrong option must name the misconception" in result.output


def test_demo_builds_a_fresh_database_and_prints_the_logins(tmp_path: Path) -> None:
    _empty_database(tmp_path)
    result = run(tmp_path, "demo")
    assert result.exit_code == 0, result.output
    for email in ("admin@", "tutor@", "assessor@", "iqa@", "learner1@", "learner2@"):
        assert email in result.output
    again = run(tmp_path, "demo")  # idempotent: a second run changes nothing and still works
    assert again.exit_code == 0, again.output
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=_env(tmp_path)["PORTFOLIO_DATABASE_URL"])
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        # The six printed logins and the eight demo classmates with a quiz history.
        assert len(users) == 14
        learners = [u for u in users if u.has_role("learner")]
        assert all(u.assessor is not None and u.assessor.has_role("assessor") for u in learners)
        groups = {u.email: u.cohort.name for u in learners if u.cohort is not None}
        assert groups["learner1@example.org"] == "Level 2 — September 2026 day"
        assert groups["learner2@example.org"] == "Level 2 — January 2027 evening"
        assert len(groups) == len(learners) == 10  # every classmate is in a group too
        # The classmates' tests, made once: the second run added none.
        finished = db.session.scalars(select(Attempt).where(Attempt.submitted_at.is_not(None)))
        assert len(finished.all()) == 8 * 5
        assert len(db.session.scalars(select(Cohort)).all()) == 2
        assert "alembic_version" in inspect(db.engine).get_table_names()
        db.session.remove()  # give its connection back, so dispose() can close it
        db.engine.dispose()


def test_demo_refuses_production(tmp_path: Path) -> None:
    result = run(tmp_path, "demo", PORTFOLIO_ENV="production", PORTFOLIO_SECRET_KEY="x" * 40)
    assert result.exit_code != 0
    assert "never created in production" in result.output


def test_create_user(tmp_path: Path) -> None:
    _empty_database(tmp_path)
    assert run(tmp_path, "init").exit_code == 0
    result = run(
        tmp_path,
        "create-user",
        "--email",
        "New@Example.org",
        "--name",
        "New Person",
        "--role",
        "tutor",
        "--role",
        "assessor",
        "--password",
        "long-enough-password",
    )
    assert result.exit_code == 0, result.output
    short = run(
        tmp_path,
        "create-user",
        "--email",
        "b@example.org",
        "--name",
        "B",
        "--role",
        "tutor",
        "--password",
        "short",
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output


def test_migrations_match_the_models(tmp_path: Path) -> None:
    _empty_database(tmp_path)
    app = make_app(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_in_migrations}
            )
            diff = compare_metadata(context, db.metadata)
            if conn.dialect.name == "sqlite":
                assert "page_fts" in inspect(conn).get_table_names()
        db.engine.dispose()
    assert diff == [], diff


def test_upgrading_a_database_that_holds_users_keeps_them(tmp_path: Path) -> None:
    """0006 rebuilds user_account on SQLite; rows pointing at users (roles, an assessor) must
    neither block that nor be deleted with the old table."""
    _empty_database(tmp_path)
    app = make_app(tmp_path)
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            for n, assessor in ((1, None), (2, 1)):
                conn.execute(
                    text(
                        "INSERT INTO user_account (id, email, name, password_hash, session_token,"
                        " active, assessor_id, created_at) VALUES (:id, :email, 'N', 'x', :token,"
                        " true, :assessor, '2026-01-01 00:00:00')"
                    ),
                    {"id": n, "email": f"u{n}@example.org", "token": f"t{n}", "assessor": assessor},
                )
            conn.execute(text("INSERT INTO user_role VALUES (1, 'assessor'), (2, 'learner')"))
        upgrade()
        with db.engine.connect() as conn:
            roles = conn.execute(text("SELECT user_id, role FROM user_role ORDER BY user_id"))
            assert roles.all() == [(1, "assessor"), (2, "learner")]
            users = conn.execute(text("SELECT id, assessor_id, cohort_id FROM user_account"))
            assert sorted(users.all()) == [(1, None, None), (2, 1, None)]
            if conn.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


@pytest.mark.parametrize("env", ["production"])
def test_production_refuses_to_start_without_a_secret_key(
    tmp_path: Path, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portfolio import create_app
    from portfolio.config import ConfigError

    monkeypatch.delenv("PORTFOLIO_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTFOLIO_ENV", env)
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="refuses to start in production"):
        create_app()


def test_development_secret_key_is_generated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portfolio import create_app

    monkeypatch.delenv("PORTFOLIO_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTFOLIO_ENV", "development")
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    assert len(first) >= 64 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app().config["SECRET_KEY"] == first


def test_content_import_reports_a_bad_file_and_imports_the_rest(tmp_path: Path) -> None:
    _empty_database(tmp_path)
    assert run(tmp_path, "init").exit_code == 0
    folder = tmp_path / "incoming"
    folder.mkdir()
    good = (ROOT / "content" / "pages" / "pts-b-gathering-feedback.md").read_text()
    (folder / "new-good.md").write_text(
        good.replace("slug: pts-b-gathering-feedback", "slug: pts-b-new-good")
    )
    bad = good.replace("slug: pts-b-gathering-feedback", "slug: pts-b-new-bad").replace(
        "status: published", "status: [published"
    )
    (folder / "new-bad.md").write_text(bad)
    bad_line = next(i for i, line in enumerate(bad.splitlines(), 1) if "status: [" in line)
    result = run(tmp_path, "content", "import", str(folder))
    assert result.exit_code == 1
    assert f"{folder / 'new-bad.md'}:{bad_line}: not valid YAML" in result.output
    assert "1 new" in result.output
    again = run(tmp_path, "content", "import", str(folder))
    assert "0 new, 0 updated, 1 unchanged" in again.output  # idempotent
    out = tmp_path / "out"
    exported = run(tmp_path, "content", "export", str(out))
    assert exported.exit_code == 0
    assert (out / "pts-b-new-good.md").exists() and not (out / "pts-b-new-bad.md").exists()


def test_audit_verify_passes_then_names_a_row_altered_in_the_database(tmp_path: Path) -> None:
    from portfolio.core import audit

    _empty_database(tmp_path)
    assert run(tmp_path, "init").exit_code == 0
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=_env(tmp_path)["PORTFOLIO_DATABASE_URL"])
    with app.app_context():
        for n in range(3):
            audit.record("decision.recorded", "decision", n, actor_id=None, after={"n": n})
        db.session.commit()
    ok = run(tmp_path, "audit", "verify")
    assert ok.exit_code == 0, ok.output
    assert "OK: 3 audit entries, chain intact." in ok.output
    with app.app_context():
        second = db.session.execute(text("SELECT id FROM audit_entry ORDER BY id")).all()[1][0]
        db.session.execute(
            text("UPDATE audit_entry SET after = '{\"n\": 99}' WHERE id = :id"), {"id": second}
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    broken = run(tmp_path, "audit", "verify")
    assert broken.exit_code == 1
    assert f"BROKEN at entry {second}: its content no longer matches its hash" in broken.output


def test_worker_without_redis_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTFOLIO_REDIS_URL", raising=False)
    result = run(tmp_path, "worker", "--burst")
    assert result.exit_code == 1
    assert "PORTFOLIO_REDIS_URL is not set: without it exports run inside the app" in (
        result.output
    )


def test_worker_with_redis_down_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real Redis client against a port nothing listens on (the test's own free port).
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PORTFOLIO_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    result = run(tmp_path, "worker", "--burst")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Redis did not answer at 127.0.0.1:{port} (PORTFOLIO_REDIS_URL)")
    assert "Traceback" not in result.output


def test_export_that_cannot_render_says_why_and_writes_nothing(
    app: Flask, make: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "The export took longer than the 600 seconds an export may take, so it was stopped."

    def too_long(*args: object, **kwargs: object) -> object:
        raise RenderFailed(message)

    monkeypatch.setattr(services, "render_isolated", too_long)
    learner = make.learner()
    out = tmp_path / "pack.pdf"
    result = app.test_cli_runner().invoke(
        main, ["export", "--learner", learner.email, "--out", str(out)]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()
