"""Where export jobs run: on the app's own threads (the default), failing the jobs an earlier
process left unfinished; or on an RQ queue in Redis drained by `portfolio worker`, a cohort's
portfolios as separate queue jobs.

The RQ tests need Redis (PORTFOLIO_TEST_REDIS_URL, by default database 15 on this machine).
Without it they are skipped, unless PORTFOLIO_REQUIRE_REDIS is set (as in CI): then they fail.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from portfolio.auth import services as accounts
from portfolio.auth.models import User
from portfolio.core.render_process import wall_seconds
from portfolio.db import utcnow
from portfolio.export import jobs, runner, store
from portfolio.export.facts import Scope
from portfolio.export.models import ExportJob, JobKind, JobStatus
from portfolio.extensions import db
from tests.conftest import make_app
from tests.export.support import build_world
from tests.factories import Factory

REDIS_URL = os.environ.get("PORTFOLIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Far longer than an export of the test portfolio takes; only a job that never finishes waits
# this long.
DEADLINE_SECONDS = 180


@dataclass(frozen=True)
class Ids:
    requester: int
    learners: tuple[int, ...]


@pytest.fixture
def ids(app: Flask, make: Factory) -> Ids:
    with app.app_context():
        world = build_world(make)
        return Ids(world.assessor.id, (world.learner.id, world.other.id))


def _user(user_id: int) -> User:
    user = accounts.get_user(user_id)
    assert user is not None
    return user


def _start(ids: Ids) -> int:
    """A committed portfolio job, dispatched to the current app's runner; its id."""
    job = jobs.start_portfolio_export(_user(ids.requester), _user(ids.learners[0]), Scope()).job
    runner.dispatch(job)
    return job.id


def _start_cohort(ids: Ids) -> int:
    learners = [_user(i) for i in ids.learners]
    job = jobs.start_cohort_export(_user(ids.requester), None, learners).job
    runner.dispatch(job)
    return job.id


def _status(app: Flask, job_id: int) -> tuple[JobStatus, str, str]:
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        assert job is not None
        found = (job.status, job.stage, job.message)
        db.session.remove()
        return found


def _wait_until_finished(app: Flask, job_id: int) -> JobStatus:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        status, stage, message = _status(app, job_id)
        if status.finished:
            assert status is JobStatus.DONE, message
            return status
        if time.monotonic() > deadline:
            pytest.fail(
                f"export job {job_id} had not finished after {DEADLINE_SECONDS} seconds: "
                f"{status.value}, at {stage!r}"
            )
        time.sleep(0.2)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- threads inside the app ------------------------------------------------------------------


@pytest.fixture
def threaded(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the test's database that runs exports on its own threads."""
    threaded = make_app(tmp_path, EXPORT_RUNNER="thread", REDIS_URL=None)
    yield threaded
    pool = threaded.extensions.get("export_pool")
    if pool is not None:
        pool.shutdown(wait=True)
    _dispose(threaded)


def test_the_thread_runner_makes_the_pdf_on_a_thread_of_its_own(
    threaded: Flask, ids: Ids, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    run_job = jobs.run_job

    def spy(job_id: int, holder: str = "") -> None:
        threads.append(threading.current_thread().name)
        run_job(job_id, holder)

    monkeypatch.setattr(jobs, "run_job", spy)
    with threaded.app_context():
        job_id = _start(ids)
    _wait_until_finished(threaded, job_id)
    assert len(threads) == 1 and threads[0].startswith("export")
    assert threads[0] != threading.current_thread().name
    with threaded.app_context():
        job = db.session.get(ExportJob, job_id)
        assert job is not None and job.result is not None and store.has(job.result)
        assert job.pages > 0
        db.session.remove()


def _ended_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    return child


def test_jobs_held_by_an_ended_process_on_this_host_are_failed(app: Flask, ids: Ids) -> None:
    host = socket.gethostname()
    me = runner.identity()
    holders = {
        "ended": f"{runner.THREAD}{host}:{_ended_pid()}:0123abcd",
        "restarted": f"{runner.THREAD}{host}:{os.getpid()}:not-this-start",
        "alive": runner.THREAD + me,
        "elsewhere": f"{runner.THREAD}another-host:{_ended_pid()}:0123abcd",
        "queue": runner.QUEUE + f"{host}:{_ended_pid()}:0123abcd",
    }
    with app.app_context():
        requester, learner = _user(ids.requester), _user(ids.learners[0])
        made = {}
        for name, holder in holders.items():
            job = jobs.start_portfolio_export(requester, learner, Scope(), again=True).job
            job.status = JobStatus.RUNNING if name != "queue" else JobStatus.QUEUED
            job.runner = holder
            made[name] = job.id
        finished = jobs.start_portfolio_export(requester, learner, Scope(), again=True).job
        finished.status, finished.runner = JobStatus.DONE, holders["ended"]
        db.session.commit()
        finished_id = finished.id
        db.session.remove()
    runner._fail_orphans(app)
    failed = (JobStatus.FAILED, "Stopped", jobs.RESTARTED)
    assert _status(app, made["ended"]) == failed
    assert _status(app, made["restarted"]) == failed
    assert _status(app, made["alive"])[0] is JobStatus.RUNNING
    assert _status(app, made["elsewhere"])[0] is JobStatus.RUNNING  # not ours to judge
    assert _status(app, made["queue"])[0] is JobStatus.QUEUED  # the queue's, not a thread's
    assert _status(app, finished_id)[0] is JobStatus.DONE


def test_the_thread_runner_records_its_process_on_the_jobs_it_takes(
    threaded: Flask, ids: Ids
) -> None:
    with threaded.app_context():
        job_id = _start(ids)
    _wait_until_finished(threaded, job_id)
    with threaded.app_context():
        job = db.session.get(ExportJob, job_id)
        assert job is not None and job.runner == runner.THREAD + runner.identity()
        db.session.remove()


def test_a_job_running_past_the_rendering_limit_is_stopped_and_its_cohort_zipped(
    app: Flask, ids: Ids
) -> None:
    with app.app_context():
        parent = jobs.start_cohort_export(
            _user(ids.requester), None, [_user(i) for i in ids.learners[:2]]
        ).job
        first, second = parent.children
        # By the clock: a render waits for a core on a busy server (render_process.Limits).
        limit = wall_seconds(int(app.config["EXPORT_SECONDS"]))
        first.status, first.started_at = JobStatus.RUNNING, utcnow() - timedelta(seconds=limit + 60)
        second.status, second.started_at = JobStatus.RUNNING, utcnow() - timedelta(hours=2)
        db.session.commit()
        ids_ = (parent.id, first.id, second.id)
        jobs.reap_stale()
        db.session.remove()
    assert _status(app, ids_[1])[0] is JobStatus.RUNNING  # within the limit and its grace
    assert _status(app, ids_[2]) == (JobStatus.FAILED, "Stopped", jobs.STALE)
    with app.app_context():
        db.session.get(ExportJob, ids_[1]).started_at = utcnow() - timedelta(hours=2)  # type: ignore[union-attr]
        db.session.commit()
        jobs.reap_stale()
        parent_job = db.session.get(ExportJob, ids_[0])
        assert parent_job is not None and parent_job.status is JobStatus.DONE
        assert parent_job.result is not None and store.has(parent_job.result)
        with zipfile.ZipFile(store.path_of(parent_job.result)) as archive:
            manifest = archive.read("manifest.csv").decode("utf-8-sig")
        assert manifest.count("not exported: " + jobs.STALE) == 2
        db.session.remove()


def test_a_worker_deletes_exports_older_than_the_keep_days(app: Flask, ids: Ids) -> None:
    keep_days = int(app.config["EXPORT_KEEP_DAYS"])
    day = 86400
    with app.app_context():
        stale = [store.path_of("cache/stale.pdf"), store.path_of("zips/1.zip")]
        recent = store.path_of("cache/recent.pdf")
        for path, age in [(stale[0], keep_days + 1), (stale[1], keep_days + 1), (recent, 1)]:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"%PDF-")
            then = time.time() - age * day
            os.utime(path, (then, then))
        job_id = _start(ids)  # the test app's runner is inline: the job has run
        db.session.remove()
        assert [p.exists() for p in stale] == [False, False]
        assert recent.exists()
        job = db.session.get(ExportJob, job_id)
        assert job is not None and job.status is JobStatus.DONE, job
        assert job.result is not None and store.has(job.result)


# --- an RQ queue in Redis ----------------------------------------------------------------------


@pytest.mark.parametrize("start", [_start, _start_cohort], ids=["portfolio", "cohort"])
def test_an_export_that_cannot_be_queued_fails_at_once(
    app: Flask, tmp_path: Path, ids: Ids, start: Callable[[Ids], int]
) -> None:
    """Left waiting, it would wait for ever and count against the requester's three."""
    # Nothing listens on port 1: the connection is refused at once.
    unreachable = make_app(tmp_path, REDIS_URL="redis://127.0.0.1:1/15")
    try:
        with unreachable.app_context():
            job_id = start(ids)
            job = db.session.get(ExportJob, job_id)
            assert job is not None
            for part in (job, *job.children):
                assert (part.status, part.message) == (JobStatus.FAILED, jobs.NOT_QUEUED)
            assert jobs.unfinished(_user(ids.requester)) == 0
    finally:
        _dispose(unreachable)


@pytest.fixture
def redis() -> Iterator[Redis]:
    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisError as error:
        connection.close()
        if os.environ.get("PORTFOLIO_REQUIRE_REDIS"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable ({error}), and is required")
        pytest.skip(
            f"Redis at {REDIS_URL} is unreachable ({error}); "
            "set PORTFOLIO_REQUIRE_REDIS=1 to make this a failure"
        )
    yield connection
    connection.close()


@pytest.fixture
def queued(
    app: Flask, tmp_path: Path, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """A second app on the test's database that sends exports to a queue of this test's own."""
    name = f"portfolio-test-{uuid.uuid4().hex}"
    queued = make_app(tmp_path, REDIS_URL=REDIS_URL, EXPORT_QUEUE=name)
    # `work` names the app its jobs run in, and RQ's worker takes over these signals.
    monkeypatch.setattr(runner, "_worker_app", None)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    queue = Queue(name, connection=redis)
    job_ids: set[str] = set()
    monkeypatch.setattr(Queue, "enqueue", _remembering(Queue.enqueue, job_ids))
    yield queued
    for number, handler in handlers.items():
        signal.signal(number, handler)
    queue.delete(delete_jobs=True)
    leftovers = [*redis.scan_iter(f"*{name}*")]
    for job_id in job_ids:
        leftovers += [*redis.scan_iter(f"rq:*{job_id}*")]
    # The workers' records (RQ lets them expire a minute after the worker stops).
    leftovers += [
        key for key in redis.scan_iter("rq:worker:*") if redis.hget(key, "queues") == name.encode()
    ]
    if leftovers:
        redis.delete(*leftovers)
    _dispose(queued)


def _remembering(enqueue, job_ids: set[str]):  # type: ignore[no-untyped-def]
    def remember(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        job = enqueue(self, *args, **kwargs)
        job_ids.add(job.id)
        return job

    return remember


def _queue_length(app: Flask, redis: Redis) -> int:
    return Queue(app.config["EXPORT_QUEUE"], connection=redis).count


def test_a_job_goes_to_the_queue_and_a_worker_makes_it(
    queued: Flask, redis: Redis, ids: Ids
) -> None:
    with queued.app_context():
        job_id = _start(ids)
    assert _queue_length(queued, redis) == 1
    # Nothing in the app runs it: it waits for a worker.
    assert _status(queued, job_id)[0] is JobStatus.QUEUED
    runner.work(queued, burst=True)
    assert _queue_length(queued, redis) == 0
    assert _status(queued, job_id)[0] is JobStatus.DONE, _status(queued, job_id)
    with queued.app_context():
        job = db.session.get(ExportJob, job_id)
        assert job is not None and job.result is not None and store.has(job.result)
        db.session.remove()


def test_a_cohort_is_one_queue_job_per_learner_zipped_by_the_last(
    queued: Flask, redis: Redis, ids: Ids
) -> None:
    with queued.app_context():
        parent_id = _start_cohort(ids)
    assert _queue_length(queued, redis) == 2
    runner.work(queued, burst=True)
    assert _queue_length(queued, redis) == 0
    assert _status(queued, parent_id)[0] is JobStatus.DONE, _status(queued, parent_id)
    with queued.app_context():
        parent = db.session.get(ExportJob, parent_id)
        assert parent is not None and parent.kind is JobKind.COHORT and parent.result
        assert [c.status for c in parent.children] == [JobStatus.DONE, JobStatus.DONE]
        with zipfile.ZipFile(io.BytesIO(store.path_of(parent.result).read_bytes())) as archive:
            assert sorted(archive.namelist()) == [
                "manifest.csv",
                "portfolio-lily-learner.pdf",
                "portfolio-otto-other.pdf",
            ]
        db.session.remove()


def test_a_queued_job_outside_a_worker_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_worker_app", None)
    with pytest.raises(RuntimeError, match="run `portfolio worker`"):
        runner.run_queued(1)


def test_jobs_the_queue_lost_are_failed_with_a_message(
    queued: Flask, redis: Redis, ids: Ids
) -> None:
    """Redis restarted without its data: the waiting export is not in the queue any more. It
    is failed (once it is older than a moment) rather than left waiting and counted against
    the person's limit; one the queue still holds is left alone."""
    with queued.app_context():
        lost, kept = _start(ids), _start_cohort(ids)
        kept_children = [c.id for c in db.session.get(ExportJob, kept).children]  # type: ignore[union-attr]
        for job in db.session.scalars(select(ExportJob)):
            job.created_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        db.session.remove()
    queue = Queue(queued.config["EXPORT_QUEUE"], connection=redis)
    Job.fetch(runner.queue_id(queue.name, lost), connection=redis).delete()
    runner.reap_lost(queued)
    assert _status(queued, lost) == (JobStatus.FAILED, "Stopped", jobs.LOST)
    for child in kept_children:
        assert _status(queued, child)[0] is JobStatus.QUEUED
    # A worker starting finds the rest and makes them.
    runner.work(queued, burst=True)
    assert _status(queued, kept)[0] is JobStatus.DONE


def test_a_job_just_queued_is_not_judged_lost(queued: Flask, redis: Redis, ids: Ids) -> None:
    with queued.app_context():
        job_id = _start(ids)
    Queue(queued.config["EXPORT_QUEUE"], connection=redis).empty()
    runner.reap_lost(queued)  # under a minute old: perhaps still on its way
    assert _status(queued, job_id)[0] is JobStatus.QUEUED
