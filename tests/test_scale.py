"""Queries per page do not grow with the data: every page and download, signed in as the role
that uses it, runs the same number of SQL statements on a generated tiny centre and on that
centre grown four times over (more learners for the same staff, more evidence, attempts and
audit entries). Counts statements; never times anything."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from bench.centre import PASSWORD, SIZES, build_centre, scaled
from portfolio.auth.models import Role, User, UserRole
from portfolio.extensions import db
from portfolio.quizzes.models import HeldMisconception
from tests import conftest
from tests.conftest import login, make_app
from tests.support.queries import count_request

TINY = SIZES["tiny"]


@dataclass(frozen=True)
class Centre:
    """Who signs in, and the ids the pages name, in one generated database."""

    emails: dict[Role, str]
    learner_id: int  # the learner with the most misconceptions held
    learner_email: str
    group_id: int


@dataclass(frozen=True)
class Page:
    name: str
    role: Role
    url: Callable[[Centre], str]

    def __str__(self) -> str:
        return self.name


PAGES = [
    Page("learner home", Role.LEARNER, lambda c: "/"),
    Page("assessor home", Role.ASSESSOR, lambda c: "/"),
    Page("IQA home", Role.IQA, lambda c: "/"),
    Page("admin home", Role.ADMIN, lambda c: "/"),
    Page("tutor home", Role.TUTOR, lambda c: "/"),
    Page("quizzes", Role.LEARNER, lambda c: "/quizzes/"),
    Page("my misconceptions", Role.LEARNER, lambda c: "/quizzes/misconceptions"),
    Page("quiz analytics", Role.TUTOR, lambda c: "/quizzes/analytics"),
    Page("question bank", Role.TUTOR, lambda c: "/quizzes/manage"),
    Page(
        "a quiz's misconceptions",
        Role.TUTOR,
        lambda c: "/quizzes/manage/pts-a-rights/misconceptions",
    ),
    Page("my evidence", Role.LEARNER, lambda c: "/evidence/"),
    Page("assessor queue", Role.ASSESSOR, lambda c: "/assessment/queue"),
    Page("cohort, all learners", Role.IQA, lambda c: "/assessment/cohort?learners=all"),
    Page(
        "cohort, one group",
        Role.IQA,
        lambda c: f"/assessment/cohort?learners=all&group={c.group_id}",
    ),
    Page("cohort CSV", Role.IQA, lambda c: "/assessment/cohort.csv?learners=all"),
    Page("learner tracking", Role.IQA, lambda c: f"/assessment/learners/{c.learner_id}"),
    Page("audit trail", Role.ADMIN, lambda c: "/audit/"),
    Page("audit trail, one learner", Role.ADMIN, lambda c: f"/audit/?learner_id={c.learner_id}"),
    Page("IQA overview", Role.IQA, lambda c: "/iqa/"),
    Page("IQA sample proposal", Role.IQA, lambda c: "/iqa/samples/new"),
    Page("sampling plans", Role.IQA, lambda c: "/iqa/plans"),
    Page("countersignatures", Role.IQA, lambda c: "/iqa/countersignatures"),
    Page("admin users", Role.ADMIN, lambda c: "/admin/users"),
    Page("admin groups", Role.ADMIN, lambda c: "/admin/cohorts"),
    Page("export jobs", Role.ADMIN, lambda c: "/export/jobs"),
    Page("revision pages", Role.LEARNER, lambda c: "/pages/"),
    Page("qualifications", Role.LEARNER, lambda c: "/qualifications/"),
]


def _centre() -> Centre:
    """The first user of each staff role (the tiny centre's, in both databases) and the
    learner holding the most misconceptions (in the grown one, one with more)."""
    emails = {}
    for role in Role:
        emails[role] = db.session.scalar(
            select(User.email)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role)
            .order_by(User.id)
            .limit(1)
        )
    learner_id, email = db.session.execute(
        select(User.id, User.email)
        .join(HeldMisconception, HeldMisconception.user_id == User.id)
        .group_by(User.id, User.email)
        .order_by(func.count().desc(), User.id)
        .limit(1)
    ).one()
    learner = db.session.get(User, learner_id)
    assert learner is not None and learner.cohort_id is not None
    emails[Role.LEARNER] = email
    return Centre(emails, learner_id, email, learner.cohort_id)


@dataclass(frozen=True)
class Built:
    small: object  # a SQLite file (Path) or a PostgreSQL template database name (str)
    grown: object
    centres: tuple[Centre, Centre]


def _build(app: Flask, grow: bool) -> Centre:
    with app.app_context():
        build_centre(TINY, seed=1)
        if grow:
            build_centre(scaled(TINY, 3), seed=2, join=True)
        centre = _centre()
        db.session.remove()
        db.engine.dispose()
    return centre


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path | None,
    postgres_template: str | None,
) -> Iterator[Built]:
    """Both centres built once for the module: on SQLite as files copied for each test, on
    PostgreSQL as template databases each test's database is created from."""
    folder = tmp_path_factory.mktemp("scale")
    if sqlite_template is not None:
        files = []
        centres = []
        for name, grow in (("small", False), ("grown", True)):
            path = folder / f"{name}.sqlite3"
            shutil.copyfile(sqlite_template, path)
            app = make_app(folder / name, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
            centres.append(_build(app, grow))
            files.append(path)
        yield Built(files[0], files[1], (centres[0], centres[1]))
        return
    assert postgres_template is not None and conftest._BASE_URL is not None
    names = []
    centres = []
    for name, grow in (("small", False), ("grown", True)):
        database = f"{conftest._RUN}_scale_{name}"
        url = conftest._private_database(conftest._BASE_URL, database, template=postgres_template)
        app = make_app(folder / name, SQLALCHEMY_DATABASE_URI=url)
        centres.append(_build(app, grow))
        names.append(database)
    yield Built(names[0], names[1], (centres[0], centres[1]))


def _app_on(source: object, tmp_path: Path, name: str) -> Flask:
    if isinstance(source, Path):
        copy = tmp_path / f"{name}.sqlite3"
        shutil.copyfile(source, copy)
        return make_app(tmp_path / name, SQLALCHEMY_DATABASE_URI=f"sqlite:///{copy}")
    assert conftest._BASE_URL is not None
    database = f"{conftest._RUN}_scale_{name}_copy"
    url = conftest._private_database(conftest._BASE_URL, database, template=str(source))
    return make_app(tmp_path / name, SQLALCHEMY_DATABASE_URI=url)


def _count(app: Flask, centre: Centre, page: Page) -> tuple[int, list[str], int]:
    client = app.test_client()
    assert login(client, centre.emails[page.role], PASSWORD).status_code == 302
    url = page.url(centre)
    # Buffered, so a streamed download (the cohort CSV) is counted to its end and closed here:
    # left open, it keeps a connection out of the disposed pool until the garbage collector
    # finds it, and psycopg's ResourceWarning then fails whichever later test is running.
    client.get(url, buffered=True)  # once to warm caches kept per process (specs, calendar)
    responses = []
    seen = count_request(app, lambda: responses.append(client.get(url, buffered=True)))
    status = responses[0].status_code
    with app.app_context():
        db.engine.dispose()
    return status, seen, len(responses[0].get_data())


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_statements_do_not_grow_with_the_centre(
    built: Built, tmp_path: Path, page: Page, capsys: pytest.CaptureFixture[str]
) -> None:
    small_status, small, small_bytes = _count(
        _app_on(built.small, tmp_path, "small"), built.centres[0], page
    )
    grown_status, grown, grown_bytes = _count(
        _app_on(built.grown, tmp_path, "grown"), built.centres[1], page
    )
    with capsys.disabled():
        print(
            f"\n  {page.name}: {small_status}/{grown_status}, {len(small)} -> {len(grown)} "
            f"statements, {small_bytes:,} -> {grown_bytes:,} bytes"
        )
    assert small_status == grown_status == 200
    if len(small) != len(grown):
        listing = "\n".join(
            [f"--- small ({len(small)}):", *small, f"--- grown ({len(grown)}):", *grown]
        )
        pytest.fail(f"{page.name}: {len(small)} statements at tiny, {len(grown)} grown\n{listing}")
