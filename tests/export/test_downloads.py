"""Downloading a finished export: the signed link works for the requester while it is fresh
and the file is kept; anything else is 'not found' or says why the download is gone. Plus the
status JSON the job page polls, and the list of one's own exports. (Jobs run inline.)"""

from __future__ import annotations

import os
import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from portfolio.audit import services as audit
from portfolio.auth import services as accounts
from portfolio.export import links, store
from portfolio.export.facts import Scope
from portfolio.export.jobs import start_portfolio_export
from portfolio.export.models import ExportJob
from portfolio.extensions import db
from tests.conftest import login
from tests.export.support import People, build_people, download_link, fetch, start
from tests.factories import Factory


@pytest.fixture
def world(app: Flask, make: Factory) -> People:
    return build_people(app, make)


def _client(app: Flask, email: str | None = None) -> FlaskClient:
    client = app.test_client()
    if email:
        login(client, email)
    return client


def _exported(client: FlaskClient, learner_id: int) -> str:
    """The page of a finished export the client started."""
    started = start(client, learner_id)
    assert started.status_code == 303, started.text
    location: str = started.headers["Location"]
    return location


def _job_id(job_page: str) -> int:
    found = re.search(r"/export/jobs/(\d+)$", job_page)
    assert found, job_page
    return int(found.group(1))


def _downloads(app: Flask, learner_id: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        return [
            (e.subject_id, e.actor_id)
            for e in audit.entries_for_learner(learner_id)
            if e.action == "export.downloaded"
        ]


def test_the_link_works_for_the_requester_once_signed_in(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    job_page = _exported(client, world.learner_id)
    url = download_link(client, job_page)
    signed_out = fetch(_client(app), url)
    assert signed_out.status_code == 302 and "/auth/login" in signed_out.headers["Location"]
    later = _client(app, world.assessor)  # the same person, signed in again elsewhere
    response = fetch(later, url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_download_is_on_the_learners_trail(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    job_page = _exported(client, world.learner_id)
    assert _downloads(app, world.learner_id) == []
    fetch(client, download_link(client, job_page))
    with app.app_context():
        assessor = accounts.find_user_by_email(world.assessor)
        assert assessor is not None
        assert _downloads(app, world.learner_id) == [(str(_job_id(job_page)), assessor.id)]


def _tampered(url: str) -> str:
    # The signature's first character changed (its last may carry only padding bits).
    at = url.rindex(".") + 1
    return url[:at] + ("B" if url[at] == "A" else "A") + url[at + 1 :]


def test_a_tampered_link_is_not_found(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    url = download_link(client, _exported(client, world.learner_id))
    for bad in (_tampered(url), re.sub(r"link=[^&]+", "link=", url), url.split("?")[0]):
        assert fetch(client, bad).status_code == 404, bad
    assert _downloads(app, world.learner_id) == []


def test_another_users_link_is_not_found(app: Flask, world: People) -> None:
    assessor = _client(app, world.assessor)
    job_page = _exported(assessor, world.learner_id)
    url = download_link(assessor, job_page)
    # The IQA may see the learner's portfolio, but this export is the assessor's.
    iqa = _client(app, world.iqa)
    assert fetch(iqa, url).status_code == 404
    # The IQA's own export's link does not open the assessor's.
    iqa_url = download_link(iqa, _exported(iqa, world.learner_id))
    assert fetch(iqa, iqa_url).status_code == 200
    stolen = iqa_url.split("?")[1]
    assert fetch(assessor, f"{job_page}/download?{stolen}").status_code == 404
    # A link signed for someone else on the assessor's own job.
    with app.test_request_context():
        job = db.session.get(ExportJob, _job_id(job_page))
        iqa_user = accounts.find_user_by_email(world.iqa)
        assert job is not None and iqa_user is not None
        token = links.make_token(job, iqa_user)
    assert fetch(assessor, f"{job_page}/download?link={token}").status_code == 404


def test_an_expired_link_says_so_and_links_back_to_the_job(
    app: Flask, world: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(app, world.assessor)
    job_page = _exported(client, world.learner_id)
    minutes = int(app.config["EXPORT_LINK_MINUTES"])
    signed_at = int(time.time()) - minutes * 60 - 5
    signer = links._signer

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return signed_at

    def signed_then() -> URLSafeTimedSerializer:
        # Only the export links' signer: the session cookie is signed with the same class.
        serializer = signer()
        serializer.signer = Then
        return serializer

    with monkeypatch.context() as then:
        # The link is signed as if the page had been opened just over its lifetime ago.
        then.setattr(links, "_signer", signed_then)
        url = download_link(client, job_page)
    response = fetch(client, url)
    assert response.status_code == 410
    assert "<h1>This download has expired</h1>" in response.text
    assert f'<a href="{job_page}">Open the export</a> for a new link.' in response.text
    assert _downloads(app, world.learner_id) == []
    # The job page gives a fresh link that works.
    assert fetch(client, download_link(client, job_page)).status_code == 200


def test_a_file_swept_away_says_it_was_deleted(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    job_page = _exported(client, world.learner_id)
    url = download_link(client, job_page)
    with app.app_context():
        job = db.session.get(ExportJob, _job_id(job_page))
        assert job is not None and job.result is not None
        keep_days = int(app.config["EXPORT_KEEP_DAYS"])
        old = time.time() - (keep_days + 1) * 86400
        os.utime(store.path_of(job.result), (old, old))
        assert store.sweep(keep_days) == 1
        assert not store.has(job.result)
    response = fetch(client, url)
    assert response.status_code == 410
    assert "Finished exports are deleted after a few days." in response.text
    assert f'<a href="/export/learners/{world.learner_id}">Export the portfolio again</a>' in (
        response.text
    )
    assert _downloads(app, world.learner_id) == []


def test_the_status_json(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    job_page = _exported(client, world.learner_id)
    response = client.get(f"{job_page}/status")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    status = response.get_json()
    assert {k: status[k] for k in ("status", "label", "percent", "finished")} == {
        "status": "done",
        "label": "Ready",
        "percent": 100,
        "finished": True,
    }
    assert re.fullmatch(r"\d+ pages", status["stage"]), status["stage"]
    assert status["download_url"].startswith(f"{job_page}/download?link=")
    assert fetch(client, status["download_url"]).status_code == 200
    assert _client(app, world.iqa).get(f"{job_page}/status").status_code == 404


def test_the_status_of_a_job_not_yet_run(app: Flask, world: People) -> None:
    with app.app_context():
        assessor = accounts.find_user_by_email(world.assessor)
        learner = accounts.get_user(world.learner_id)
        assert assessor is not None and learner is not None
        job_id = start_portfolio_export(assessor, learner, Scope()).job.id  # never dispatched
    status = _client(app, world.assessor).get(f"/export/jobs/{job_id}/status").get_json()
    assert (status["status"], status["percent"], status["finished"]) == ("queued", 0, False)
    assert status["download_url"] is None


def test_the_job_list_shows_ones_own_exports_only(app: Flask, world: People) -> None:
    assessor = _client(app, world.assessor)
    mine = _job_id(_exported(assessor, world.learner_id))
    iqa = _client(app, world.iqa)
    theirs = _job_id(_exported(iqa, world.learner_id))
    page = assessor.get("/export/jobs").text
    assert f'href="/export/jobs/{mine}"' in page
    assert f'href="/export/jobs/{theirs}"' not in page
    assert "/export/jobs/" + str(theirs) in iqa.get("/export/jobs").text
    learner_page = _client(app, world.learner).get("/export/jobs").text
    assert "You have not exported anything yet." in learner_page
