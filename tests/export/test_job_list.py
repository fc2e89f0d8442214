"""The exports list (/export/jobs): the user's own exports, newest first, a page at a time by
cursor, counted in SQL; the same statements however many exports there are."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Role, User
from portfolio.export.models import ExportJob, JobKind, JobStatus
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.support.queries import count_request, full_scans


def _jobs(app: Flask, requester: User, learner: User, n: int, **kwargs: object) -> list[int]:
    """Finished export rows (nothing rendered: the list only reads them)."""
    with app.app_context():
        made = [
            ExportJob(
                kind=JobKind.PORTFOLIO,
                requested_by_id=requester.id,
                learner_id=learner.id,
                download_name=f"portfolio-{i}.pdf",
                status=JobStatus.DONE,
                **kwargs,
            )
            for i in range(n)
        ]
        db.session.add_all(made)
        db.session.commit()
        return [j.id for j in made]


def _listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/export/jobs/(\d+)"', page)]


@pytest.fixture
def people(app: Flask, make: Factory) -> tuple[User, User, FlaskClient]:
    assessor = make.user(Role.ASSESSOR)
    learner = make.learner(assessor=assessor)
    client = app.test_client()
    login(client, assessor.email)
    return assessor, learner, client


def test_own_exports_are_paged_newest_first(
    app: Flask, people: tuple[User, User, FlaskClient], make: Factory
) -> None:
    assessor, learner, client = people
    mine = _jobs(app, assessor, learner, 120)
    _jobs(app, make.user(Role.IQA), learner, 5)  # someone else's: never listed
    first = client.get("/export/jobs").get_data(as_text=True)
    assert "120 exports; showing 50." in " ".join(unescape(re.sub("<[^>]+>", " ", first)).split())
    assert _listed(first) == mine[::-1][:50]
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older
    second = client.get(unescape(older.group(1))).get_data(as_text=True)
    assert _listed(second) == mine[::-1][50:100]
    third = client.get(f"/export/jobs?after={mine[20]}").get_data(as_text=True)
    assert _listed(third) == mine[::-1][100:] and 'rel="next"' not in third
    # A requester filter is not a thing: whoever asks sees only their own.
    assert (
        _listed(client.get("/export/jobs?requested_by=1&user=1").get_data(as_text=True))
        == (mine[::-1][:50])
    )


def test_a_cohorts_per_learner_jobs_stay_inside_it(
    app: Flask, people: tuple[User, User, FlaskClient]
) -> None:
    assessor, learner, client = people
    with app.app_context():
        parent = ExportJob(kind=JobKind.COHORT, requested_by_id=assessor.id, download_name="g.zip")
        db.session.add(parent)
        db.session.commit()
        parent_id = parent.id
    _jobs(app, assessor, learner, 3, parent_id=parent_id)
    assert _listed(client.get("/export/jobs").get_data(as_text=True)) == [parent_id]


def test_times_are_shown_in_london_time(app: Flask, people: tuple[User, User, FlaskClient]) -> None:
    assessor, learner, client = people
    _jobs(app, assessor, learner, 1, created_at=datetime(2026, 7, 1, 8, 5, tzinfo=UTC))
    page = client.get("/export/jobs").get_data(as_text=True)
    assert "Started (London time)" in page and "1 July 2026, 09:05" in page


@pytest.mark.parametrize("after", ["-3", "x", "0", str(2**64), "9" * 30, "1"])
def test_a_bad_or_stale_cursor_gives_the_newest_with_a_message(
    app: Flask, people: tuple[User, User, FlaskClient], after: str
) -> None:
    assessor, learner, client = people
    mine = _jobs(app, assessor, learner, 3)
    response = client.get("/export/jobs", query_string={"after": after})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _listed(page) == mine[::-1]
    assert "showing the first page" in page or "showing the newest" in page


def test_the_list_runs_the_same_statements_at_any_size(
    app: Flask, people: tuple[User, User, FlaskClient]
) -> None:
    assessor, learner, client = people
    counts = []
    for n in (3, 150):
        mine = _jobs(app, assessor, learner, n)
        for url in ("/export/jobs", f"/export/jobs?after={mine[-1]}"):
            counts.append(len(count_request(app, lambda: client.get(url))))  # noqa: B023
    assert counts[:2] == counts[2:], counts


def test_the_list_reads_through_an_index(ctx: None) -> None:
    from sqlalchemy import select

    query = (
        select(ExportJob)
        .where(ExportJob.requested_by_id == 1, ExportJob.parent_id.is_(None), ExportJob.id < 10)
        .order_by(ExportJob.id.desc())
        .limit(51)
    )
    assert full_scans(query, ("export_job",)) == []
