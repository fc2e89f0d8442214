"""Export jobs: starting them, running them (on whichever worker picks them up), reporting
their progress, and who may see them. A web request only ever starts a job; the PDF is made
elsewhere (portfolio/export/runner.py says where)."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import aliased

from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role, User
from portfolio.core import audit
from portfolio.core.paging import Paged, count, keyset
from portfolio.core.render_process import RenderFailed, wall_seconds
from portfolio.db import utcnow
from portfolio.export import parallel, services, store, zipped
from portfolio.export.facts import PortfolioPack, Scope
from portfolio.export.models import ExportJob, JobKind, JobStatus
from portfolio.export.pack import build_pack
from portfolio.extensions import db

log = logging.getLogger(__name__)

ZIPPING = "Putting the portfolios into one ZIP file"
UNEXPECTED = (
    "The export failed because of an error on our side. It has been logged; start the "
    "export again, and tell your administrator if it happens again."
)
NOT_QUEUED = (
    "The export could not be started because the export queue cannot be reached. Try again "
    "in a few minutes, and tell your administrator if it keeps happening."
)


def slug(text: str) -> str:
    """A file-name-safe form: "Siân O'Neil" -> "sian-o-neil"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "learner"


def _pdf_name(learner: User, scope: Scope) -> str:
    name = f"portfolio-{slug(learner.name)}"
    if scope.element_id:
        name += f"-{slug(scope.element_id)}"
    if scope.eqa:
        name += "-eqa"
    return name + ".pdf"


def _portfolio_job(
    requester: User, learner: User, scope: Scope, pdfa: bool, parent: ExportJob | None = None
) -> ExportJob:
    job = ExportJob(
        kind=JobKind.PORTFOLIO,
        requested_by_id=requester.id,
        learner_id=learner.id,
        element_id=scope.element_id,
        eqa=scope.eqa,
        pdfa=pdfa,
        download_name=_pdf_name(learner, scope),
        parent_id=parent.id if parent else None,
    )
    db.session.add(job)
    db.session.flush()
    # Who took a copy of a learner's record is theirs to know (UK GDPR accountability).
    audit.record(
        "export.requested",
        "export_job",
        job.id,
        actor_id=requester.id,
        learner_id=learner.id,
        after={"scope": scope.label, "pdfa": pdfa},
    )
    return job


@dataclass(frozen=True)
class Started:
    job: ExportJob
    new: bool  # False: the same export is already under way, and this is that one


def _hold_requester(requester: User) -> None:
    """Serialise one person's starts: a write to their row first, which waits for any other
    start of theirs to commit (PostgreSQL locks the row; SQLite takes its one write lock), so
    the look for the same export below sees the other's job."""
    db.session.execute(
        update(User).where(User.id == requester.id).values(id=User.id),
        execution_options={"synchronize_session": False},
    )


def _same(requester: User, *where: Any) -> ExportJob | None:
    """The requester's own export matching `where` that is still waiting or running (a
    double click, a form sent again): the newest if several. One that has finished is not:
    the portfolio may have changed since, and an unchanged one comes from the cache."""
    return db.session.scalars(
        select(ExportJob)
        .where(
            ExportJob.requested_by_id == requester.id,
            ExportJob.parent_id.is_(None),
            ExportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
            *where,
        )
        .order_by(ExportJob.id.desc())
        .limit(1)
    ).first()


def start_portfolio_export(
    requester: User, learner: User, scope: Scope, *, pdfa: bool = True, again: bool = False
) -> Started:
    """A queued job for one learner's portfolio; the caller has checked the requester may
    see the learner. Committed, so a worker can pick it up at once. The same export (learner,
    scope, PDF/A) still under way is that job, unless `again` (a script that means it)."""
    _hold_requester(requester)
    found = (
        None
        if again
        else _same(
            requester,
            ExportJob.kind == JobKind.PORTFOLIO,
            ExportJob.learner_id == learner.id,
            ExportJob.element_id.is_not_distinct_from(scope.element_id),
            ExportJob.eqa == scope.eqa,
            ExportJob.pdfa == pdfa,
        )
    )
    if found is not None:
        db.session.commit()
        return Started(found, new=False)
    job = _portfolio_job(requester, learner, scope, pdfa)
    db.session.commit()
    return Started(job, new=True)


def start_cohort_export(
    requester: User,
    cohort: Cohort | None,
    learners: Sequence[User],
    *,
    label: str = "learners",
    pdfa: bool = True,
) -> Started:
    """A ZIP of every listed learner's whole portfolio: one child job per learner, so the
    portfolios render on as many workers as there are. `label` names the ZIP file. The same
    ZIP (group, label, PDF/A) still under way is that job."""
    stamp = utcnow().strftime("%Y-%m-%d")
    download_name = f"portfolios-{slug(label)}-{stamp}.zip"
    _hold_requester(requester)
    found = _same(
        requester,
        ExportJob.kind == JobKind.COHORT,
        ExportJob.cohort_id.is_not_distinct_from(cohort.id if cohort else None),
        ExportJob.download_name == download_name,
        ExportJob.pdfa == pdfa,
    )
    if found is not None:
        db.session.commit()
        return Started(found, new=False)
    parent = ExportJob(
        kind=JobKind.COHORT,
        requested_by_id=requester.id,
        cohort_id=cohort.id if cohort else None,
        pdfa=pdfa,
        status=JobStatus.RUNNING,
        stage="Waiting for workers",
        started_at=utcnow(),
        download_name=download_name,
    )
    db.session.add(parent)
    db.session.flush()
    for learner in learners:
        _portfolio_job(requester, learner, Scope(), pdfa, parent)
    db.session.commit()
    return Started(parent, new=True)


def job_for(user: User, job_id: int) -> ExportJob | None:
    """The job if `user` asked for it and may still see everyone in it; None otherwise, so
    nobody learns whether another person's export exists."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.parent_id is not None or job.requested_by_id != user.id:
        return None
    ids = [learner_id for learner_id in job.learner_ids if learner_id is not None]
    if len(ids) != len(job.learner_ids):
        return None
    if job.kind is JobKind.PORTFOLIO:
        allowed = accounts.visible_learner(user, ids[0]) is not None
    else:
        # A cohort's page polls every second: one query for all its learners, not one each.
        allowed = set(ids) <= {learner.id for learner in accounts.visible_learners(user)}
    return job if allowed else None


def recent_jobs(user: User, limit: int = 20) -> Sequence[ExportJob]:
    return db.session.scalars(
        select(ExportJob)
        .where(ExportJob.requested_by_id == user.id, ExportJob.parent_id.is_(None))
        .order_by(ExportJob.id.desc())
        .limit(limit)
    ).all()


def _own_jobs(user: User) -> Select[Any]:
    return select(ExportJob).where(
        ExportJob.requested_by_id == user.id, ExportJob.parent_id.is_(None)
    )


def job_page(user: User, after: int | None) -> Paged[ExportJob]:
    """The exports `user` asked for, newest first, a page at a time by id (?after=), with how
    many there are counted in SQL. A cohort's per-learner jobs are inside it, not listed."""
    total = count(_own_jobs(user))
    found: Paged[ExportJob] = keyset(_own_jobs(user), ExportJob.id, after, total=total)
    if after is not None and not found.items and total:
        newest: Paged[ExportJob] = keyset(_own_jobs(user), ExportJob.id, None, total=total)
        return replace(newest, message="There are no exports before that one: showing the newest.")
    return found


def may_export_cohorts(user: User) -> bool:
    return user.has_role(Role.ADMIN, Role.IQA, Role.ASSESSOR)


@dataclass(frozen=True)
class Progress:
    status: JobStatus
    stage: str
    percent: int
    message: str


def progress(job: ExportJob) -> Progress:
    """Where the job is. A cohort's percentage is its learners' portfolios finished."""
    if job.kind is JobKind.COHORT and job.status is JobStatus.RUNNING and job.children:
        finished = sum(c.status.finished for c in job.children)
        total = len(job.children)
        stage = job.stage
        if stage != ZIPPING:
            stage = f"{finished} of {total} portfolios made"
        return Progress(job.status, stage, min(95, 95 * finished // total), job.message)
    return Progress(job.status, job.stage, job.percent, job.message)


# --- running a job (on a worker) -----------------------------------------------------------


def _save(job: ExportJob, stage: str, percent: int) -> None:
    job.stage = stage
    job.percent = percent
    db.session.commit()


def _claim(job_id: int, runner: str) -> ExportJob | None:
    """The job, now marked running by this worker; None if another worker has it already
    (a queue may deliver a job twice) or it is gone."""
    values: dict[str, object] = {
        "status": JobStatus.RUNNING,
        "started_at": utcnow(),
        "stage": "Starting",
        "percent": 1,
    }
    if runner:
        values["runner"] = runner
    claimed = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == JobStatus.QUEUED)
        .values(**values)
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.session.get(ExportJob, job_id)


def _finish(job: ExportJob, result: str, size: int, pages: int, from_cache: bool) -> None:
    job.result = result
    job.size = size
    job.pages = pages
    job.from_cache = from_cache
    job.status = JobStatus.DONE
    if job.kind is JobKind.COHORT:
        made = sum(c.status is JobStatus.DONE for c in job.children)
        job.stage = f"{made} of {len(job.children)} portfolios in one ZIP file"
    else:
        job.stage = f"{pages} pages" + (
            ", unchanged since it was last exported" if from_cache else ""
        )
    job.percent = 100
    job.finished_at = utcnow()
    db.session.commit()


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    job = db.session.get(ExportJob, job_id)
    if job is None:
        return
    job.status = JobStatus.FAILED
    job.stage = "Stopped"
    job.message = message
    job.finished_at = utcnow()
    db.session.commit()


def _expected_pages(job: ExportJob, pack: PortfolioPack) -> int:
    """For the progress bar: the last export of the same portfolio, else a rough count."""
    last = db.session.scalar(
        select(ExportJob.pages)
        .where(
            ExportJob.learner_id == job.learner_id,
            ExportJob.element_id.is_(None)
            if job.element_id is None
            else ExportJob.element_id == job.element_id,
            ExportJob.eqa == job.eqa,
            ExportJob.pages > 0,
        )
        .order_by(ExportJob.id.desc())
        .limit(1)
    )
    if last:
        return int(last)
    submissions = sum(len(item.submissions) for item in pack.items)
    return 6 + 2 * submissions + len(pack.attachments) + len(pack.audit) // 25


def _split_into(job: ExportJob, pack: PortfolioPack) -> int:
    """How many processes render this job at once: PORTFOLIO_EXPORT_SPLIT for a long
    portfolio that is not archival (a split render is untagged and not PDF/A), else one."""
    processes = int(current_app.config["EXPORT_SPLIT"])
    if processes < 2 or job.pdfa or not parallel.worth_splitting(pack):
        return 1
    return processes


def _render(job: ExportJob, pack: PortfolioPack) -> None:
    processes = _split_into(job, pack)
    key = store.cache_key(pack, pdfa=job.pdfa, variant="split" if processes > 1 else "")
    name = store.cached_name(key)
    if store.touch(name):
        pages = db.session.scalar(
            select(ExportJob.pages).where(ExportJob.result == name, ExportJob.pages > 0).limit(1)
        )
        _finish(job, name, store.path_of(name).stat().st_size, int(pages or 0), True)
        return
    expected = _expected_pages(job, pack)
    _save(job, "Laying out the pages", 10)
    last = [0.0]

    def report(stage: str, pages: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5:
            return
        last[0] = now
        if stage == "drawing":
            _save(job, f"Writing the PDF ({pages} pages)", 90)
        else:
            share = min(pages / expected, 0.99)
            _save(job, f"Laying out page {pages}", 10 + int(78 * share))

    assert job.learner is not None
    scope = Scope(job.element_id, job.eqa)
    if processes > 1:
        rendered = parallel.render_parallel(
            job.learner, scope, pack=pack, workers=processes, on_progress=report
        )
    else:
        rendered = services.render_portfolio(
            job.learner, scope, pdfa=job.pdfa, pack=pack, on_progress=report
        )
    _save(job, "Saving the PDF", 97)
    size = store.write(name, rendered.data)
    _finish(job, name, size, rendered.pages, False)


def run_job(job_id: int, runner: str = "") -> None:
    """Makes the job's file. Failures end in the job's message, never in the worker.
    `runner` names the process that runs it, when the queue did not say already."""
    job = _claim(job_id, runner)
    if job is None:
        return
    parent_id = job.parent_id
    try:
        if job.learner is None:
            raise RenderFailed("The learner of this export no longer exists.")
        _save(job, "Gathering the evidence", 5)
        _render(job, build_pack(job.learner, Scope(job.element_id, job.eqa)))
    except RenderFailed as failure:
        _fail(job_id, str(failure))
    except Exception:
        log.exception("export job %s failed", job_id)
        _fail(job_id, UNEXPECTED)
    if parent_id is not None:
        _zip_if_last(parent_id)


RESTARTED = "The app restarted before this export finished; start it again."
STALE = (
    "The export stopped without finishing (the process making it was stopped or restarted). "
    "Start it again."
)
# Past the rendering limit by this much, a running job's process cannot still be working on it.
_GRACE_SECONDS = 120


def hold(job_ids: Sequence[int], runner: str) -> None:
    """Records which process will run these jobs (the embedded runner's own)."""
    db.session.execute(update(ExportJob).where(ExportJob.id.in_(job_ids)).values(runner=runner))
    db.session.commit()


def _stop(found: Sequence[ExportJob], message: str) -> None:
    parents = set()
    for job in found:
        job.status = JobStatus.FAILED
        job.stage = "Stopped"
        job.message = message
        job.finished_at = utcnow()
        if job.parent_id is not None:
            parents.add(job.parent_id)
    db.session.commit()
    for parent_id in sorted(parents):
        _zip_if_last(parent_id)


def _unfinished_parts() -> Select[Any]:
    return select(ExportJob).where(
        ExportJob.kind == JobKind.PORTFOLIO,
        ExportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
    )


LOST = "The export was lost when the export queue restarted, so it never ran. Start it again."
# A waiting job the queue does not hold this long after it was made was lost with the queue,
# not one still on its way there.
LOST_AFTER = timedelta(seconds=60)


def fail_lost(held: Callable[[int], bool], requester_id: int | None = None) -> None:
    """Fails the waiting jobs (one requester's, or everyone's) that `held` says the queue no
    longer has. At most 500 looked at a call: a centre's queue holds far fewer."""
    query = _unfinished_parts().where(
        ExportJob.status == JobStatus.QUEUED, ExportJob.created_at < utcnow() - LOST_AFTER
    )
    if requester_id is not None:
        query = query.where(ExportJob.requested_by_id == requester_id)
    lost = [
        job
        for job in db.session.scalars(query.order_by(ExportJob.id).limit(500))
        if not held(job.id)
    ]
    if lost:
        _stop(lost, LOST)


def fail_orphans(prefix: str, gone: Callable[[str], bool]) -> None:
    """Fails the unfinished jobs held by processes (runner names starting `prefix`) that
    `gone` says no longer exist: the embedded runner's jobs die with their process."""
    held = db.session.scalars(_unfinished_parts().where(ExportJob.runner.startswith(prefix)))
    _stop([job for job in held if gone(job.runner)], RESTARTED)


def reap_stale() -> None:
    """Fails running jobs started longer ago than rendering may take: whatever ran them (a
    worker on another machine, say) stopped, and nothing else will finish them."""
    limit = wall_seconds(int(current_app.config["EXPORT_SECONDS"])) + _GRACE_SECONDS
    cutoff = utcnow() - timedelta(seconds=limit)
    stale = db.session.scalars(
        _unfinished_parts().where(
            ExportJob.status == JobStatus.RUNNING, ExportJob.started_at < cutoff
        )
    ).all()
    if stale:
        _stop(stale, STALE)


def fail_unqueued(job: ExportJob) -> None:
    """Ends a job (a cohort's with its parts) that never reached the queue: left waiting, it
    would wait for ever and count against the requester's unfinished exports."""
    for part in (*job.children, job):
        part.status = JobStatus.FAILED
        part.stage = "Stopped"
        part.message = NOT_QUEUED
        part.finished_at = utcnow()
    db.session.commit()


def _zip_if_last(parent_id: int) -> None:
    """Whichever child finishes last zips the cohort: the one whose update finds no child
    still to do and the parent not yet claimed (one row, so only one worker wins)."""
    child = aliased(ExportJob)
    pending = exists().where(
        child.parent_id == parent_id, child.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
    )
    claimed = db.session.execute(
        update(ExportJob)
        .where(
            ExportJob.id == parent_id,
            ExportJob.status == JobStatus.RUNNING,
            ExportJob.stage != ZIPPING,
            ~pending,
        )
        .values(stage=ZIPPING)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return
    parent = db.session.get(ExportJob, parent_id)
    assert parent is not None
    try:
        name = f"zips/{parent.id}.zip"
        size = zipped.write_cohort_zip(name, parent.children)
        _finish(parent, name, size, sum(c.pages for c in parent.children), False)
    except Exception:
        log.exception("zipping export job %s failed", parent_id)
        _fail(parent_id, UNEXPECTED)


def unfinished(user: User) -> int:
    """How many of the user's exports are waiting or running."""
    reap_stale()
    found = db.session.scalar(
        select(func.count(ExportJob.id)).where(
            ExportJob.requested_by_id == user.id,
            ExportJob.parent_id.is_(None),
            ExportJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    )
    return int(found or 0)
