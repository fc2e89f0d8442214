"""The command line: `python -m bench.centre --size large [--database URL] [--fresh]`."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select, text

from bench.centre.build import build_centre
from bench.centre.sizes import PASSWORD, SIZES
from portfolio.auth.models import User
from portfolio.extensions import db


def _prepare_database(url: str, fresh: bool) -> None:
    """Remove the old database (with --fresh) and make an empty one where needed."""
    from sqlalchemy import create_engine, make_url

    from portfolio.config import normalise_database_url

    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    for maintenance in ("postgres", "test", "template1"):
        engine = create_engine(parsed.set(database=maintenance), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if fresh:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                found = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if not found:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            return
        except Exception:  # noqa: S112 - try the next maintenance database
            continue
        finally:
            engine.dispose()
    raise SystemExit(f"Could not reach a maintenance database to create {name}.")


def main(argv: list[str] | None = None) -> None:
    import argparse

    from flask_migrate import upgrade

    from portfolio import create_app
    from portfolio.cli import _fail_on_errors, _read_data, load_data
    from portfolio.config import ROOT, normalise_database_url
    from portfolio.core.audit import verify_and_record

    parser = argparse.ArgumentParser(
        prog="python -m bench.centre", description="Build a generated centre to benchmark."
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="large")
    parser.add_argument(
        "--database", help="database URL (default: sqlite under instance/bench-<size>.sqlite3)"
    )
    parser.add_argument("--fresh", action="store_true", help="remove the database and rebuild")
    parser.add_argument(
        "--add", action="store_true", help="add another centre's worth to a database that has one"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    url = args.database or f"sqlite:///{ROOT / 'instance' / f'bench-{size.name}.sqlite3'}"
    _prepare_database(url, args.fresh)
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url)})
    started = time.perf_counter()
    with app.app_context():
        data = _read_data()
        _fail_on_errors(data)
        upgrade()
        load_data(data)
        users = int(db.session.scalar(select(func.count()).select_from(User)) or 0)
        if users and not args.add:
            raise SystemExit(
                f"{url} already holds {users} users: use --fresh to rebuild it, or --add "
                "(with another --seed) to add to it."
            )
        print(f"Building a {size.name} centre (seed {args.seed}) in {url}")
        stats = build_centre(size, args.seed, log=print)
        built = time.perf_counter() - started
        # The full check, kept as the audit page's checkpoint, as a nightly
        # `portfolio audit verify` would leave it.
        report = verify_and_record("bench.centre")
        checked = time.perf_counter() - started - built
        if db.engine.dialect.name == "postgresql":
            # A live server's autovacuum gathers statistics and marks pages all-visible after
            # bulk writes; a fresh centre needs both now, or the planner guesses (10x slower
            # plans were seen) and index-only scans visit the table for every row (a sample
            # list's verdict counts: 13 ms against 3 ms). VACUUM runs outside a transaction.
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    print("\nWritten:")
    print("\n".join(stats.lines()))
    print(f"\nBuilt in {built:.1f} s (schema, shipped data and the centre).")
    state = "intact" if report.intact else f"BROKEN at entry {report.broken_id}: {report.reason}"
    print(f"Audit chain: {report.entries:,} entries, {state} (checked in {checked:.1f} s).")
    print(f"\nLogins (every generated user's password is {PASSWORD}):")
    for login in stats.logins:
        print(f"  {login.role.label:26} {login.email:44} {login.name}")
    print(
        "\nServe the app on this database:\n"
        f"  PORTFOLIO_DATABASE_URL='{url}' .venv/bin/portfolio run\n"
        "or as the benchmark does:\n"
        f"  PORTFOLIO_DATABASE_URL='{url}' .venv/bin/gunicorn -w 2 --threads 4 \\\n"
        "      -c python:portfolio.gunicorn_conf 'portfolio:create_app()'"
    )
    if not report.intact:
        raise SystemExit(1)
