"""Export jobs on a worker (jobs.run_job called directly): a fresh job renders with its stages
saved; an unchanged portfolio comes from the cache; a failure ends the job with a message for
the requester; a job delivered twice runs once; and who may see a job."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from portfolio.audit import services as audit
from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.core.render_process import RenderFailed
from portfolio.export import jobs, services, store
from portfolio.export.facts import Scope
from portfolio.export.models import ExportJob, JobStatus
from portfolio.export.pack import build_pack
from portfolio.extensions import db
from tests.export.support import World, build_world, count_renders, read_pdf
from tests.factories import Factory
from tests.iqa.support import decide


@pytest.fixture
def world(ctx: None, make: Factory) -> World:
    return build_world(make)


def _start(world: World, *, pdfa: bool = True) -> ExportJob:
    return jobs.start_portfolio_export(world.assessor, world.learner, Scope(), pdfa=pdfa).job


def _run(job: ExportJob) -> ExportJob:
    jobs.run_job(job.id)
    db.session.refresh(job)
    return job


def _render_raises(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(services, "render_isolated", broken)


def test_a_fresh_job_renders_and_saves_its_stages(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[tuple[str, int]] = []
    save = jobs._save

    def spy(job: ExportJob, stage: str, percent: int) -> None:
        saved.append((stage, percent))
        save(job, stage, percent)

    monkeypatch.setattr(jobs, "_save", spy)
    job = _start(world)
    assert (job.status, job.percent) == (JobStatus.QUEUED, 0)
    _run(job)
    assert job.status is JobStatus.DONE, job.message
    assert (job.stage, job.percent, job.from_cache) == (f"{job.pages} pages", 100, False)
    assert job.result is not None
    path = store.path_of(job.result)
    assert path.is_file() and job.size == path.stat().st_size
    assert job.pages > 0 and len(read_pdf(path.read_bytes()).pages) == job.pages
    assert job.started_at is not None and job.finished_at is not None
    assert job.started_at <= job.finished_at
    stages = [stage for stage, _ in saved]
    assert stages[:2] == ["Gathering the evidence", "Laying out the pages"], saved
    assert any(stage.startswith("Laying out page ") for stage in stages), saved
    assert stages[-1] == "Saving the PDF", saved
    percents = [percent for _, percent in saved]
    assert percents == sorted(percents) and percents[0] > 0 and percents[-1] < 100, saved


def test_an_unchanged_portfolio_comes_from_the_cache(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(_start(world))
    assert first.status is JobStatus.DONE, first.message
    # The first export's own audit entry (export.requested) must not change the pack.
    _render_raises(monkeypatch, AssertionError("rendered again"))
    second = _run(_start(world))
    assert second.status is JobStatus.DONE, second.message
    assert second.from_cache and not first.from_cache
    assert second.stage == f"{first.pages} pages, unchanged since it was last exported"
    assert (second.result, second.pages, second.size) == (first.result, first.pages, first.size)
    assert second.percent == 100


def _new_evidence(world: World, make: Factory) -> Callable[[], None]:
    def change() -> None:
        make.submission(world.learner, element_id="pts-b", title="Lamp", claims=("pts-b.1",))

    return change


def _new_decision(world: World, make: Factory) -> Callable[[], None]:
    waiting = make.submission(world.learner, title="Kettle lid")  # before the first export

    def change() -> None:
        decide(world.assessor, waiting)

    return change


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_new_evidence, id="new-evidence"),
        pytest.param(_new_decision, id="new-decision"),
    ],
)
def test_a_changed_portfolio_is_rendered_afresh(
    world: World,
    make: Factory,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[World, Factory], Callable[[], None]],
) -> None:
    apply = change(world, make)
    first = _run(_start(world))
    assert first.status is JobStatus.DONE, first.message
    apply()
    renders = count_renders(monkeypatch)
    second = _run(_start(world))
    assert second.status is JobStatus.DONE, second.message
    assert renders == [1] and not second.from_cache
    assert first.result is not None and second.result is not None
    assert second.result != first.result
    assert second.result == store.cached_name(store.cache_key(build_pack(world.learner), pdfa=True))
    assert store.has(first.result) and store.has(second.result)


def test_a_cached_file_swept_away_is_rendered_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _run(_start(world))
    assert first.status is JobStatus.DONE and first.result is not None, first.message
    store.path_of(first.result).unlink()
    # Marking a file as used must not bring it back, empty, for the next export to serve.
    assert store.touch(first.result) is False
    assert not store.has(first.result)
    renders = count_renders(monkeypatch)
    second = _run(_start(world))
    assert second.status is JobStatus.DONE, second.message
    assert renders == [1] and not second.from_cache and second.result == first.result
    assert store.path_of(first.result).stat().st_size == second.size > 0


def test_the_archival_flag_is_part_of_the_cache_key(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = build_pack(world.learner)
    assert store.cache_key(pack, pdfa=True) != store.cache_key(pack, pdfa=False)
    archival = _run(_start(world, pdfa=True))
    renders = count_renders(monkeypatch)
    plain = _run(_start(world, pdfa=False))
    assert plain.status is JobStatus.DONE, plain.message
    assert renders == [1] and not plain.from_cache and plain.result != archival.result


def test_a_render_that_fails_ends_the_job_with_its_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "The export took longer than the 1 seconds an export may take, so it was stopped."
    _render_raises(monkeypatch, RenderFailed(message))
    job = _run(_start(world))
    assert (job.status, job.stage, job.message) == (JobStatus.FAILED, "Stopped", message)
    assert job.result is None and job.finished_at is not None
    assert jobs.progress(job).message == message


def test_an_unexpected_error_ends_the_job_with_a_plain_message(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _render_raises(monkeypatch, KeyError("/srv/portfolio/secret.py internals"))
    with caplog.at_level(logging.ERROR, logger=jobs.__name__):
        job = _run(_start(world))
    assert (job.status, job.message) == (JobStatus.FAILED, jobs.UNEXPECTED)
    assert "Traceback" not in job.message and "secret" not in job.message
    # What the requester is told ("It has been logged") is true.
    logged = [r for r in caplog.records if r.message == f"export job {job.id} failed"]
    assert logged and logged[0].exc_info is not None


@pytest.mark.parametrize("status", [JobStatus.DONE, JobStatus.RUNNING, JobStatus.FAILED])
def test_a_job_delivered_again_is_not_run_again(
    world: World, monkeypatch: pytest.MonkeyPatch, status: JobStatus
) -> None:
    job = _start(world)
    if status is JobStatus.DONE:
        _run(job)
        assert job.status is JobStatus.DONE, job.message
    else:  # another worker has it, or it has failed already
        job.status = status
        db.session.commit()
    before = (job.status, job.stage, job.percent, job.result, job.started_at, job.finished_at)
    renders = count_renders(monkeypatch)
    _run(job)
    assert renders == []
    after = (job.status, job.stage, job.percent, job.result, job.started_at, job.finished_at)
    assert after == before


@pytest.fixture
def job(world: World) -> Iterator[ExportJob]:
    yield _start(world)


def test_the_requester_sees_the_job_and_nobody_else(
    world: World, job: ExportJob, make: Factory
) -> None:
    assert jobs.job_for(world.assessor, job.id) is job
    # The learner and an IQA may see the portfolio, but did not ask for this export.
    for other in (world.learner, world.iqa, world.other):
        assert jobs.job_for(other, job.id) is None
    assert jobs.job_for(world.assessor, job.id + 1000) is None


def test_the_requester_loses_the_job_with_the_learner(
    world: World, job: ExportJob, make: Factory
) -> None:
    successor = make.user(Role.ASSESSOR)
    accounts.assign_assessor(world.learner, successor)
    assert jobs.job_for(world.assessor, job.id) is None


def test_a_cohort_job_is_seen_whole_not_by_its_parts(world: World) -> None:
    parent = jobs.start_cohort_export(world.assessor, None, [world.learner, world.other]).job
    assert jobs.job_for(world.assessor, parent.id) is parent
    assert [c.learner_id for c in parent.children] == [world.learner.id, world.other.id]
    for child in parent.children:
        assert jobs.job_for(world.assessor, child.id) is None
    # One learner the requester may no longer see hides the whole ZIP.
    accounts.assign_assessor(world.other, None)
    assert jobs.job_for(world.assessor, parent.id) is None
    assert [j.id for j in jobs.recent_jobs(world.assessor)] == [parent.id]


def test_the_request_is_on_the_learners_trail_but_not_in_their_pack(
    world: World, job: ExportJob
) -> None:
    trail = [
        e for e in audit.entries_for_learner(world.learner.id) if e.action.startswith("export")
    ]
    assert [(e.action, e.subject_id, e.actor_id) for e in trail] == [
        ("export.requested", str(job.id), world.assessor.id)
    ]
    assert trail[0].after == {"scope": "Whole portfolio", "pdfa": True}
    pack = build_pack(world.learner)
    assert pack.audit and not [a for a in pack.audit if a.action.startswith("export.")]


@pytest.mark.parametrize(
    ("split", "pdfa", "long", "expected"),
    [
        pytest.param(2, False, True, 2, id="split"),
        pytest.param(2, True, True, 1, id="archival-never-splits"),
        pytest.param(2, False, False, 1, id="too-short-to-pay"),
        pytest.param(1, False, True, 1, id="split-off"),
    ],
)
def test_a_long_plain_export_splits_across_processes_only_when_set(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    split: int,
    pdfa: bool,
    long: bool,
    expected: int,
) -> None:
    from flask import current_app

    from portfolio.export import parallel

    monkeypatch.setitem(current_app.config, "EXPORT_SPLIT", split)
    monkeypatch.setattr(parallel, "worth_splitting", lambda pack: long)
    used: list[int] = []
    whole = parallel.render_parallel

    def spy(*args: object, workers: int, **kwargs: object):  # type: ignore[no-untyped-def]
        used.append(workers)
        return whole(*args, workers=workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "render_parallel", spy)
    job = _run(_start(world, pdfa=pdfa))
    assert job.status is JobStatus.DONE, job.message
    assert used == ([expected] if expected > 1 else [])
    variant = "split" if expected > 1 else ""
    pack = build_pack(world.learner)
    assert job.result == store.cached_name(store.cache_key(pack, pdfa=pdfa, variant=variant))
    assert job.pages == len(read_pdf(store.path_of(job.result).read_bytes()).pages)


# The same export asked for twice


def test_the_same_export_still_under_way_is_that_job(world: World) -> None:
    def start(scope: Scope | None = None, pdfa: bool = True) -> jobs.Started:
        return jobs.start_portfolio_export(
            world.assessor, world.learner, scope or Scope(), pdfa=pdfa
        )

    first = start()
    again = start()
    assert first.new and not again.new and again.job.id == first.job.id
    # Another scope or format is another export.
    assert start(Scope(element_id="pts-a")).new
    assert start(pdfa=False).new
    # Once it has finished, asking again makes a new job (the portfolio may have changed).
    assert _run(first.job).status is JobStatus.DONE
    later = start()
    assert later.new and later.job.id != first.job.id
    # Another requester's same export is theirs.
    assert jobs.start_portfolio_export(world.iqa, world.learner, Scope()).new


def test_the_same_cohort_zip_still_under_way_is_that_job(world: World) -> None:
    learners = [world.learner, world.other]
    first = jobs.start_cohort_export(world.assessor, None, learners, label="everyone")
    again = jobs.start_cohort_export(world.assessor, None, learners, label="everyone")
    assert first.new and not again.new and again.job.id == first.job.id
    assert jobs.start_cohort_export(world.assessor, None, learners, label="others").new


def test_two_clicks_at_once_make_one_job(app: Flask, world: World) -> None:
    """Two requests at the same moment, each in its own session and connection: the second
    start waits for the first to commit and finds its job."""
    ids = (world.assessor.id, world.learner.id)
    db.session.commit()
    barrier = threading.Barrier(2)
    found: list[tuple[bool, int]] = []
    failed: list[BaseException] = []

    def click() -> None:
        try:
            with app.app_context():
                requester, learner = (db.session.get(User, i) for i in ids)
                assert requester is not None and learner is not None
                barrier.wait(5)
                started = jobs.start_portfolio_export(requester, learner, Scope())
                found.append((started.new, started.job.id))
                db.session.remove()
        except BaseException as error:  # reported below, not lost in the thread
            failed.append(error)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(30)
    assert not failed, failed
    assert sorted(new for new, _ in found) == [False, True]
    assert len({job_id for _, job_id in found}) == 1
    made = db.session.scalars(select(ExportJob).where(ExportJob.learner_id == world.learner.id))
    assert len(made.all()) == 1
