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
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import select

from portfolio.export import jobs
from portfolio.export.models import ExportJob, JobStatus
from portfolio.extensions import db

log = logging.getLogger(__name__)

_STARTED = datetime.now(UTC)
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
        queue = _queue(app)
        for job_id in ids:
            queue.enqueue(
                run_queued,
                job_id,
                job_timeout=int(app.config["EXPORT_SECONDS"]) + 120,
                result_ttl=0,
                failure_ttl=7 * 86400,
            )
    elif how == "thread":
        pool = _pool(app)
        for job_id in ids:
            pool.submit(_run_in, app, job_id)
    else:
        for job_id in ids:
            _run_in(app, job_id)


def _run_in(app: Flask, job_id: int) -> None:
    # A fresh app context is a fresh database session, apart from any request's.
    with app.app_context():
        try:
            jobs.run_job(job_id)
        except Exception:  # a job's own failures are recorded on it; this is a last guard
            log.exception("export job %s could not run", job_id)
        finally:
            db.session.remove()


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


def _fail_orphans(app: Flask) -> None:
    """Embedded jobs live in this process: any left unfinished from before it started will
    never finish, so say so rather than show them waiting for ever."""
    with app.app_context():
        stale = db.session.scalars(
            select(ExportJob).where(
                ExportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
                ExportJob.created_at < _STARTED,
            )
        ).all()
        for job in stale:
            job.status = JobStatus.FAILED
            job.stage = "Stopped"
            job.message = "The app restarted before this export finished; start it again."
        db.session.commit()
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
    _run_in(_worker_app, job_id)


def work(app: Flask, *, burst: bool = False) -> None:
    """Takes export jobs from the queue until stopped (or, with `burst`, until it is empty).

    Jobs run in this process (RQ's SimpleWorker): a job's memory-hungry part, the rendering,
    already runs in a fresh child process that is gone when it ends, and forking a worker
    per job would also restart the rendering fork server each time."""
    from rq import SimpleWorker

    global _worker_app
    _worker_app = app
    queue = _queue(app)
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
