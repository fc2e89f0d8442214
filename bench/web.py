"""The web benchmark: the app and a bare Flask baseline served by the same gunicorn, measured in
one run, alternating, at 8 connections.

For each size and database: the generated centre (bench/centre.py, made if missing), gunicorn
with 2 gthread workers serving the app on it and bench/baseline.py beside it; the people each
page is for are picked with SQL and signed in through the login form. Each page is measured in
rounds (the page, the baseline's keyset page, the baseline's Jinja page; the order reversed
every other round), so a change in the machine's load hits both sides alike. Each page's SQL
statement count and HTML size come from one request in-process (Flask's test client with a
listener on the engine: the app gains no debug switch). Then, with an export of a learner's
portfolio running, the caseload page again. A table per database and size, the large/small
ratios, the machine's load and the commit are printed and appended to bench/results.md.

    .venv/bin/python -m bench.web --size small --size large --database sqlite --database postgresql

Every loop has a count and a time cap, and all traffic is to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import servers
from bench.load import Session, Stats, batch
from bench.pages import Page, Picks, choose, pages

ROOT = servers.ROOT
RESULTS = ROOT / "bench" / "results.md"


@dataclass(frozen=True)
class Plan:
    """How hard and how long each page is measured."""

    connections: int = 8
    # Five rounds of 40: a p95 is then the 10th slowest of 200 requests, not the 6th of 120,
    # which a single stall (a context switch to the load generator) moved by a whole ratio.
    rounds: int = 5
    per_connection: int = 5  # requests a connection sends in one batch, at most
    batch_seconds: float = 10.0  # no request is started later than this in a batch
    page_seconds: float = 60.0  # no round is started later than this for a page
    slow: float = 10.0  # one request slower than this: not loaded at 8 connections
    timeout: float = 120.0  # each request's socket timeout


# Unmeasured requests a connection sends to each page before its rounds.
WARM_UP = 2


@dataclass
class Result:
    page: Page
    statements: int = 0
    status: int = 0
    size: int = 0
    single: float = math.nan  # the warm-up request, alone
    app: Stats = field(default_factory=Stats)
    keyset: Stats = field(default_factory=Stats)
    jinja: Stats = field(default_factory=Stats)

    @property
    def loaded(self) -> bool:
        return self.app.n > 0

    @property
    def p95(self) -> float:
        """The page's p95; for a page too slow to load, its one request's time."""
        return self.app.p95 if self.loaded else self.single

    @property
    def ratio(self) -> float:
        return self.p95 / self.keyset.p95 if self.keyset.n else math.nan

    @property
    def met(self) -> bool:
        return self.loaded and self.app.failures == 0 and self.ratio <= self.page.target


@dataclass
class Run:
    database: str
    size: str
    url: str
    results: list[Result]
    extra: list[str] = field(default_factory=list)


# -- The data ------------------------------------------------------------------------------


def make_app(url: str, instance: Path) -> Any:
    from portfolio import create_app
    from portfolio.config import normalise_database_url

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "SECRET_KEY": secrets.token_hex(16),
            "INSTANCE_PATH": str(instance),
        }
    )


def has_centre(url: str, instance: Path) -> bool:
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from portfolio.auth.models import User
    from portfolio.extensions import db

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    try:
        with make_app(url, instance).app_context():
            return bool(db.session.scalar(select(func.count()).select_from(User)))
    except SQLAlchemyError:
        return False


def ensure_centre(url: str, size: str, instance: Path) -> None:
    """The generated centre of this size in this database, made by bench/centre.py if missing
    (bounded: the generator has three hours)."""
    servers.ensure_postgres_database(url)
    if has_centre(url, instance):
        from flask_migrate import upgrade
        from sqlalchemy import text

        from portfolio.extensions import db

        with make_app(url, instance).app_context():
            upgrade()  # a centre made before the latest migration: brought up to date
            if db.engine.dialect.name == "postgresql":
                # Statistics for tables a migration has just filled (autovacuum would later).
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        return
    print(f"Generating the {size} centre in {url} (bench/centre.py) ...", flush=True)
    subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "bench.centre", "--size", size, "--database", url],
        cwd=ROOT,
        check=True,
        timeout=3 * 3600,
    )


def password(given: str | None) -> str:
    if given:
        return given
    try:
        from bench import centre
    except ImportError as missing:
        raise SystemExit("bench/centre.py is missing: give --password") from missing
    found = getattr(centre, "PASSWORD", None)
    if not found:
        raise SystemExit("bench.centre has no PASSWORD: give --password")
    return str(found)


def count_statements(url: str, instance: Path, picks: Picks, wanted: list[Page]) -> list[Result]:
    """Each page requested in-process, signed in as its person: the statements and size of
    its second request. The first is the warm-up the timed requests have too, and does
    one-off work the second does not: the audit page's first view after new entries (the
    export learner's, made at the largest size only) checks them and moves the checkpoint
    on, three statements more (bounded: at most CHECK_PER_VIEW entries a view)."""
    from sqlalchemy import select

    from portfolio.auth.models import User
    from portfolio.extensions import db
    from tests.support.queries import statements

    app = make_app(url, instance)
    with app.app_context():
        engine = db.engine
        tokens = dict(db.session.execute(select(User.id, User.session_token)).all())
    found = []
    for page in wanted:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = tokens[picks.people[page.who][0]]
            session["_fresh"] = True
        client.get(page.path)
        with statements(engine) as seen:
            response = client.get(page.path)
            body = response.get_data()
        found.append(
            Result(page, statements=len(seen), status=response.status_code, size=len(body))
        )
        print(f"  {page.name}: {len(seen)} statements, {len(body) / 1024:.0f} KB", flush=True)
    return found


# -- The measurement -----------------------------------------------------------------------


def measure(result: Result, app: Session, base: Session, plan: Plan, round_: int) -> None:
    """Rounds of: the page, the keyset baseline, the Jinja baseline (reversed every other
    round), at plan.connections connections, until plan.rounds or plan.page_seconds."""
    start = time.perf_counter()
    status, _, _ = app.request(result.page.path)
    result.single = time.perf_counter() - start
    result.status = status
    if status != 200 or result.single > plan.slow:
        # Too slow to load at 8 connections within the time caps: its one request is the
        # figure, and the baseline is still measured once for the ratio.
        result.keyset.add(
            batch(base, "/keyset", plan.connections, plan.per_connection, plan.batch_seconds)
        )
        return
    # Unmeasured: the page on every connection, so that each gunicorn worker (not only the one
    # that took the single request) has compiled its template and statements and filled its
    # caches, as a server that has served the page before has; and the baseline's two pages
    # likewise. A worker's first request of a page is a one-off that the single request above
    # records.
    for session, path in ((app, result.page.path), (base, "/keyset"), (base, "/jinja")):
        batch(session, path, plan.connections, WARM_UP, plan.batch_seconds)
    share = plan.batch_seconds / max(result.single, 1e-3) * 2 / plan.connections
    per = max(1, min(plan.per_connection, int(share)))
    began = time.perf_counter()
    for n in range(plan.rounds):
        if n and time.perf_counter() - began > plan.page_seconds:
            break
        after = (round_ * 7919 + n * 104_729) % 99_900
        steps = [
            (result.app, app, result.page.path, per),
            (result.keyset, base, f"/keyset?after={after}", plan.per_connection),
            (result.jinja, base, "/jinja", plan.per_connection),
        ]
        for stats, session, path, count in steps if n % 2 == 0 else reversed(steps):
            stats.add(batch(session, path, plan.connections, count, plan.batch_seconds))


def run_size(
    kind: str,
    size: str,
    plan: Plan,
    secret: str,
    serving: servers.Serving,
    export: bool,
    only: list[str] | None = None,
) -> Run:
    from bench import baseline, interference
    from portfolio.extensions import db

    url = servers.database_url(kind, size)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        instance = Path(tmp) / "instance"
        ensure_centre(url, size, instance)
        base_url = servers.baseline_url(url)
        servers.ensure_postgres_database(base_url)
        baseline.prepare(base_url)
        with make_app(url, instance).app_context():
            exported = interference.ensure_export_learner() if export else 0
            picks = choose()
            db.session.remove()
        wanted = [
            p for p in pages(picks) if not only or any(w.lower() in p.name.lower() for w in only)
        ]
        print(f"\n{servers.dialect(url)}, {size}: statements and sizes in-process", flush=True)
        results = count_statements(url, instance, picks, wanted)
        run = Run(servers.dialect(url), size, url, results)
        with (
            servers.gunicorn(
                "portfolio:create_app()", servers.app_env(url, instance), "/auth/login", serving
            ) as app_port,
            servers.gunicorn(
                "bench.baseline:create_app()",
                {"BENCH_BASELINE_DATABASE_URL": base_url},
                "/jinja",
                serving,
            ) as base_port,
        ):
            sessions = {}
            for key, (_uid, email) in picks.people.items():
                sessions[key] = Session("127.0.0.1", app_port, plan.timeout)
                sessions[key].login(email, secret)
            base = Session("127.0.0.1", base_port, plan.timeout)
            print(
                f"{run.database}, {size}: measuring at {plan.connections} connections", flush=True
            )
            for n, result in enumerate(results):
                measure(result, sessions[result.page.who], base, plan, n)
                print("  " + row(result), flush=True)
            if export:
                run.extra = interference.measure(
                    sessions["assessor"], sessions["iqa"], exported, plan, instance, url
                )
                print("\n".join(run.extra), flush=True)
        if export and servers.redis_up():
            # As a centre runs exports: on the Redis queue, in a worker process of its own at
            # the lowest CPU priority (the worker lowers its own).
            env = {**servers.app_env(url, instance), "PORTFOLIO_REDIS_URL": servers.BENCH_REDIS}
            with (
                servers.gunicorn("portfolio:create_app()", env, "/auth/login", serving) as port,
                servers.export_worker(env),
            ):
                assessor, iqa = (
                    Session("127.0.0.1", port, plan.timeout) for _ in ("assessor", "iqa")
                )
                assessor.login(picks.people["assessor"][1], secret)
                iqa.login(picks.people["iqa"][1], secret)
                queued = interference.measure(
                    assessor, iqa, exported, plan, instance, url, how="on the Redis queue"
                )
                print("\n".join(queued), flush=True)
                run.extra += queued
        return run


# -- The report ----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def row(r: Result) -> str:
    if r.loaded:
        p50, p95, rps = ms(r.app.p50), ms(r.app.p95), f"{r.app.rps:.1f}"
        n = f"{r.app.n}" + (f" ({r.app.failures} failed)" if r.app.failures else "")
    else:
        why = f"HTTP {r.status}" if r.status != 200 else "one request"
        p50, p95, rps, n = "-", f"≥{ms(r.single)}", "-", f"0 ({why}, not loaded)"
    ratio = "-" if math.isnan(r.ratio) else f"{r.ratio:.1f}"
    target, met = f"≤{r.page.target:.0f}x", "yes" if r.met else "**no**"
    if r.page.linear:
        target, met = "linear", "csv_stream.py"
    return (
        f"| {r.page.name} | {r.statements} | {r.size / 1024:.0f} | {p50} | {p95} | {rps} | {n} "
        f"| {ratio} | {target} | {met} |"
    )


def table(run: Run) -> list[str]:
    keyset, jinja = Stats(), Stats()
    for r in run.results:
        keyset.add(r.keyset)
        jinja.add(r.jinja)
    judged = [r for r in run.results if not r.page.linear]
    met = sum(r.met for r in judged)
    lines = [
        f"### {run.database}, {run.size}",
        "",
        "| page | statements | KB | p50 ms | p95 ms | rps | requests | p95 / keyset p95 | target "
        "| met? |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *(row(r) for r in run.results),
        "",
        f"Baseline over the run: keyset page p50 {ms(keyset.p50)} ms, p95 {ms(keyset.p95)} ms, "
        f"{keyset.rps:.0f} rps ({keyset.n} requests); Jinja page p50 {ms(jinja.p50)} ms, "
        f"p95 {ms(jinja.p95)} ms, {jinja.rps:.0f} rps ({jinja.n} requests). Each page's ratio is "
        f"to the keyset page's p95 in that page's own rounds. Targets met: {met} of "
        f"{len(judged)} (the whole-centre CSV's target is linear time and bounded memory, "
        "measured by csv_stream.py).",
    ]
    if run.extra:
        lines += ["", *run.extra]
    return lines


def growth(small: Run, large: Run) -> list[str]:
    lines = [
        f"### {large.database}: {large.size} against {small.size}",
        "",
        f"| page | statements {small.size} | statements {large.size} | p95 ms {small.size} "
        f"| p95 ms {large.size} | {large.size}/{small.size} | target | met? |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for a, b in zip(small.results, large.results, strict=True):
        ratio = b.p95 / a.p95 if a.p95 else math.nan
        ok = a.loaded and b.loaded and ratio <= 2
        target, met = "≤2x", "yes" if ok else "**no**"
        if a.page.linear:  # ten times the learners: linear is about 10
            target, met = "linear", "csv_stream.py"
        lines.append(
            f"| {a.page.name} | {a.statements} | {b.statements} | {ms(a.p95)} | {ms(b.p95)} "
            f"| {ratio:.1f} | {target} | {met} |"
        )
    return lines


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    changed = len([line for line in git("status", "--porcelain").splitlines() if line.strip()])
    note = f" with {changed} files changed or new in the work tree" if changed else ""
    return f"{git('rev-parse', '--short', 'HEAD')}{note}"


def report(
    runs: list[Run],
    load: tuple[float, float, float],
    minutes: float,
    plan: Plan,
    serving: servers.Serving,
    started_at: str = "",
) -> list[str]:
    lines: list[str] = []
    for run in runs:
        lines += [*table(run), ""]
    by_db: dict[str, list[Run]] = {}
    for run in runs:
        by_db.setdefault(run.database, []).append(run)
    for found in by_db.values():
        for small, large in itertools.pairwise(found):
            lines += [*growth(small, large), ""]
    after = os.getloadavg()
    lines.append(
        f"gunicorn {serving.workers} gthread workers x {serving.threads} threads for the app "
        f"and the baseline alike; {plan.connections} connections, keep-alive; up to "
        f"{plan.rounds} rounds of {plan.per_connection} requests a connection per page, after "
        f"{WARM_UP} unmeasured a connection to warm both workers; a page "
        f"whose one request took over {plan.slow:.0f} s is not loaded (its p95 shown is that "
        f"request). Run took {minutes:.1f} min. Machine: {os.cpu_count()} cores; load average "
        f"(1, 5, 15 min) {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start, "
        f"{after[0]:.2f} {after[1]:.2f} {after[2]:.2f} at the end. Commit {started_at or commit()} "
        f"at the start, {commit()} at the end."
    )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", action="append", help="tiny, small, large (repeat; in order)")
    parser.add_argument(
        "--database", action="append", help="sqlite, postgresql, or a database URL (repeat)"
    )
    parser.add_argument(
        "--password", help="the generated users' password (default: bench.centre's)"
    )
    parser.add_argument("--rounds", type=int, default=Plan.rounds)
    parser.add_argument("--per-connection", type=int, default=Plan.per_connection)
    parser.add_argument("--page-seconds", type=float, default=Plan.page_seconds)
    parser.add_argument("--slow", type=float, default=Plan.slow)
    parser.add_argument("--threads", type=int, default=servers.Serving.threads)
    parser.add_argument(
        "--no-export", action="store_true", help="skip the export interference (last size only)"
    )
    parser.add_argument("--page", action="append", help="only pages whose name has this text")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    plan = Plan(
        rounds=max(1, min(args.rounds, 20)),
        per_connection=max(1, min(args.per_connection, 50)),
        page_seconds=args.page_seconds,
        slow=args.slow,
    )
    serving = servers.Serving(threads=args.threads)
    sizes = args.size or ["small", "large"]
    kinds = args.database or ["sqlite", "postgresql"]
    secret = password(args.password)
    load, started, started_at = os.getloadavg(), time.perf_counter(), commit()
    runs = [
        # The export's interference is measured at the largest size only (the last given).
        run_size(
            kind, size, plan, secret, serving, not args.no_export and size == sizes[-1], args.page
        )
        for kind in kinds
        for size in sizes
    ]
    minutes = (time.perf_counter() - started) / 60
    lines = report(runs, load, minutes, plan, serving, started_at)
    print("\n" + "\n".join(lines))
    if not args.no_record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write(f"\n## web.py, {stamp}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
