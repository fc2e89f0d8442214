"""The web benchmark's servers and databases: gunicorn serving the app or the baseline on a
loopback port, the same way for both, and the databases they read (made if missing)."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Serving:
    """How both servers run: the same production WSGI server, workers and threads."""

    workers: int = 2
    threads: int = 4  # gthread: keep-alive connections, 8 requests in flight on 2 workers
    timeout: int = 120


def database_url(kind: str, size: str) -> str:
    """The URL the benchmark uses for a size: `sqlite` (the generator's default file),
    `postgresql` (a database bench_<size> on the local server), or a URL as given."""
    if kind == "sqlite":
        return f"sqlite:///{ROOT / 'instance' / f'bench-{size}.sqlite3'}"
    if kind in ("postgresql", "postgres"):
        return f"{os.environ.get('BENCH_POSTGRES', POSTGRES)}/bench_{size}"
    return kind


def baseline_url(kind: str) -> str:
    if kind.startswith("sqlite"):
        return f"sqlite:///{ROOT / 'instance' / 'bench-baseline.sqlite3'}"
    return f"{os.environ.get('BENCH_POSTGRES', POSTGRES)}/bench_baseline"


def dialect(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE for a PostgreSQL URL whose database does not exist yet."""
    if not url.startswith("postgres"):
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            conn.execute(f'CREATE DATABASE "{name}"')  # our own fixed name, bench_<size>


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}{path} within {seconds:.0f} s")


@contextmanager
def gunicorn(app: str, env: dict[str, str], ready: str, serving: Serving) -> Iterator[int]:
    """gunicorn serving `app` (module:factory()) on a free loopback port, stopped on exit."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(serving.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(serving.threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        str(serving.timeout),
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        # The app's own server settings (portfolio/gunicorn_conf.py), for the baseline too:
        # the same server, set up the same way.
        "--config",
        "python:portfolio.gunicorn_conf",
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})  # noqa: S603
    try:
        wait_ready(port, ready)
        yield port
    finally:
        process.terminate()  # gunicorn's graceful stop: the master stops its workers
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# A Redis database of its own for the benchmark's export queue (the tests use others).
BENCH_REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BENCH_REDIS, socket_timeout=2).ping())
    except Exception:  # no Redis (or no client): the queued measurement is skipped
        return False


@contextmanager
def export_worker(env: dict[str, str]) -> Iterator[None]:
    """`portfolio worker` taking export jobs from the queue (it lowers its own priority below
    the web workers'), stopped on exit."""
    command = [str(Path(sys.executable).parent / "portfolio"), "worker"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})  # noqa: S603
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def app_env(url: str, instance: Path) -> dict[str, str]:
    """The app's settings under gunicorn: the bench database, a fresh secret, and an instance
    folder of its own (so export caches start empty) that still sees the uploaded files."""
    instance.mkdir(parents=True, exist_ok=True)
    uploads = ROOT / "instance" / "uploads"
    if uploads.exists() and not (instance / "uploads").exists():
        (instance / "uploads").symlink_to(uploads)
    return {
        "PORTFOLIO_DATABASE_URL": url,
        "PORTFOLIO_SECRET_KEY": secrets.token_hex(32),
        "PORTFOLIO_INSTANCE_PATH": str(instance),
        "PORTFOLIO_ENV": "production",
    }
