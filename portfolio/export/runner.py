"""Where export jobs run.

- Embedded (the default): a small pool of threads inside the app. Nothing to install or
  start; the rendering itself still happens in a child process (core/render_process.py).
- With PORTFOLIO_REDIS_URL: an RQ queue in Redis, drained by `portfolio worker` processes
  on this machine or others, so several app and worker machines share the load. A cohort's
  portfolios are separate queue jobs, so they spread across the workers.
- "inline" (tests only): the job runs at once, before the request returns.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app, has_app_context

from portfolio.core.render_process import wall_seconds
from portfolio.export import jobs, store
from portfolio.export.models import ExportJob
from portfolio.extensions import db

log = logging.getLogger(__name__)

# This start of this process: with the host and pid it tells the embedded runner's jobs
# apart from those of a process that has gone (a restarted container often has the same pid).
_BOOT = secrets.token_hex(4)
_lock = threading.Lock()
# The app a `portfolio worker` process runs jobs in.
_worker_app: Flask | None = None


def mode(app: Flask) -> str:
    if app.config.get("REDIS_URL"):
        return "rq"
    return str(app.config.get("EXPORT_RUNNER", "thread"))


def dispatch(job: ExportJob) -> None:
    """Hands the job (or, for a cohort, each learner's job) to the runner; call after the
    job is committed."""
    ids = [child.id for child in job.children] or [job.id]
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    how = mode(app)
    if how == "rq":
        from redis.exceptions import RedisError

        try:
            queue = _queue(app)
            for job_id in ids:
                queue.enqueue(
                    run_queued,
                    job_id,
                    job_id=queue_id(queue.name, job_id),
                    job_timeout=int(wall_seconds(int(app.config["EXPORT_SECONDS"]))) + 120,
                    result_ttl=0,
                    failure_ttl=7 * 86400,
                )
        except RedisError:
            log.exception("export job %s could not be queued", job.id)
            jobs.fail_unqueued(job)
    elif how == "thread":
        pool = _pool(app)
        jobs.hold(ids, THREAD + identity())
        for job_id in ids:
            pool.submit(_run_in, app, job_id)
    else:
        for job_id in ids:
            _run_in(app, job_id)


THREAD, QUEUE = "thread:", "rq:"


def identity() -> str:
    """This process, as a job records who holds it."""
    return f"{socket.gethostname()}:{os.getpid()}:{_BOOT}"


def _run_in(app: Flask, job_id: int, runner: str = "") -> None:
    # A fresh app context is a fresh database session, apart from any request's.
    with app.app_context():
        try:
            jobs.run_job(job_id, runner)
        except Exception:  # a job's own failures are recorded on it; this is a last guard
            log.exception("export job %s could not run", job_id)
        finally:
            db.session.remove()
        # Whatever makes exports also deletes the old ones, so there is no scheduler to run.
        try:
            store.sweep(int(app.config["EXPORT_KEEP_DAYS"]))
        except OSError:
            log.exception("deleting old exports failed")


def queue_id(queue_name: str, job_id: int) -> str:
    """The export's id in the queue: its own id, named by queue (two centres may share a
    Redis), so the app can ask the queue whether it still holds the job."""
    return f"{queue_name}-{job_id}"


def reap_lost(app: Flask, requester_id: int | None = None) -> None:
    """With the Redis queue: fails the waiting exports (one person's, or everyone's) that the
    queue no longer holds, lost when Redis restarted without them, so they do not read
    "waiting" for ever and count against the person's limit. Unreachable Redis: nothing is
    judged (the jobs may be there when it is back)."""
    if mode(app) != "rq":
        return
    from redis.exceptions import RedisError
    from rq.job import Job

    try:
        queue = _queue(app)

        def held(job_id: int) -> bool:
            return bool(Job.exists(queue_id(queue.name, job_id), connection=queue.connection))

        if has_app_context():
            jobs.fail_lost(held, requester_id)
        else:  # a worker starting
            with app.app_context():
                jobs.fail_lost(held, requester_id)
                db.session.remove()
    except RedisError:
        log.warning("the export queue could not be reached to look for lost jobs")


def _pool(app: Flask) -> ThreadPoolExecutor:
    with _lock:
        pool = app.extensions.get("export_pool")
        if pool is None:
            _fail_orphans(app)
            pool = ThreadPoolExecutor(
                max_workers=int(app.config["EXPORT_THREADS"]), thread_name_prefix="export"
            )
            app.extensions["export_pool"] = pool
        return pool


def _gone(runner: str) -> bool:
    """Whether the process named in a job's runner (on this host) has ended."""
    _, _, rest = runner.partition(":")
    _host, pid_text, boot = rest.rsplit(":", 2)
    pid = int(pid_text)
    if pid == os.getpid():
        return boot != _BOOT
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def _fail_orphans(app: Flask) -> None:
    """Embedded jobs live in their app process: those of a process on this host that has
    ended will never finish, so say so rather than show them waiting for ever. (Jobs held by
    a live process, here or on another host, are left alone.)"""
    with app.app_context():
        jobs.fail_orphans(f"{THREAD}{socket.gethostname()}:", _gone)
        db.session.remove()


def _queue(app: Flask):  # type: ignore[no-untyped-def]
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config.get("EXPORT_QUEUE", "portfolio-exports"), connection=connection)


def run_queued(job_id: int) -> None:
    """What an RQ worker runs for one job."""
    if _worker_app is None:
        raise RuntimeError("run `portfolio worker` to take export jobs from the queue")
    _run_in(_worker_app, job_id, QUEUE + identity())


class QueueUnavailable(Exception):
    """Redis did not answer; the message says where it was looked for."""


def work(app: Flask, *, burst: bool = False) -> None:
    """Takes export jobs from the queue until stopped (or, with `burst`, until it is empty).

    Jobs run in this process (RQ's SimpleWorker): a job's memory-hungry part, the rendering,
    already runs in a fresh child process that is gone when it ends, and forking a worker
    per job would also restart the rendering fork server each time."""
    from rq import SimpleWorker

    global _worker_app
    _worker_app = app
    from redis.exceptions import RedisError

    queue = _queue(app)
    try:
        queue.connection.ping()
        # Starting: jobs the queue lost while no worker was about, and those a worker on this
        # host was making when it stopped, are failed with a message rather than left waiting.
        reap_lost(app)
        with app.app_context():
            jobs.fail_orphans(f"{QUEUE}{socket.gethostname()}:", _gone)
            db.session.remove()
    except RedisError as error:
        where = queue.connection.connection_pool.connection_kwargs
        raise QueueUnavailable(
            f"Redis did not answer at {where.get('host', '?')}:{where.get('port', '?')} "
            f"(PORTFOLIO_REDIS_URL): {error}"
        ) from None
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
