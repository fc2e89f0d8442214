"""Exporting a portfolio from the browser: start a job, see it finish, download the PDF; who
may, the element and EQA options, and bad choices kept with a message next to the field.
(The tests run jobs inline, so the job page already shows the result.)"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Role
from portfolio.export.models import ExportJob, JobKind, JobStatus
from portfolio.extensions import db
from tests.conftest import login
from tests.export.support import People, build_people, export, page_texts, read_pdf, start
from tests.factories import Factory


@pytest.fixture
def world(app: Flask, make: Factory) -> People:
    return build_people(app, make)


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def test_the_learner_exports_their_own(app: Flask, world: People) -> None:
    client = _client(app, world.learner)
    assert "What to export" in client.get(f"/export/learners/{world.learner_id}").text
    response = export(client, world.learner_id)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=portfolio-lily-learner.pdf"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert "Kettle refund" in " ".join(page_texts(read_pdf(response.data)))


def test_the_job_page_says_it_is_ready(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    page = client.get(start(client, world.learner_id).headers["Location"]).text
    assert "Ready: <span" in page.replace('<span id="export-label">Ready</span>', "Ready: <span")
    assert '(<span id="export-percent">100</span>%)' in page
    assert "The link works for 60 minutes and only for you" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_learner_gets_not_found(app: Flask, world: People, method: str) -> None:
    client = _client(app, world.other)
    url = f"/export/learners/{world.learner_id}"
    response = client.get(url) if method == "get" else start(client, world.learner_id)
    assert response.status_code == 404


def test_an_unrelated_assessor_gets_not_found(app: Flask, world: People, make: Factory) -> None:
    stranger = make.user(Role.ASSESSOR)
    assert (
        _client(app, stranger.email).get(f"/export/learners/{world.learner_id}").status_code == 404
    )


def test_one_element(app: Flask, world: People) -> None:
    response = export(
        _client(app, world.assessor), world.learner_id, scope="element", element="pts-b"
    )
    assert "filename=portfolio-lily-learner-pts-b.pdf" in response.headers["Content-Disposition"]
    whole = " ".join(page_texts(read_pdf(response.data)))
    assert "Sofa complaint" in whole and "Kettle refund" not in whole


@pytest.mark.parametrize("element", ["", "no-such"])
def test_an_element_export_without_a_real_element_is_refused_next_to_the_field(
    app: Flask, world: People, element: str
) -> None:
    client = _client(app, world.learner)
    response = start(client, world.learner_id, scope="element", element=element)
    assert response.status_code == 200
    page = response.text
    assert 'id="element-error"' in page and "Choose the element to export." in page
    # What the user chose is kept.
    assert re.search(r'value="element"[^>]*checked|checked[^>]*value="element"', page)
    with app.app_context():
        assert db.session.query(ExportJob).count() == 0


def test_an_eqa_sample(app: Flask, world: People) -> None:
    response = export(_client(app, world.iqa), world.learner_id, scope="eqa")
    assert "filename=portfolio-lily-learner-eqa.pdf" in response.headers["Content-Disposition"]
    whole = " ".join(page_texts(read_pdf(response.data)))
    assert "Toaster exchange" in whole and "Kettle refund" not in whole


def test_a_fourth_unfinished_export_is_refused(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    with app.app_context():
        from portfolio.auth import services as accounts

        assessor = accounts.find_user_by_email(world.assessor)
        assert assessor is not None
        for _ in range(3):
            db.session.add(
                ExportJob(
                    kind=JobKind.PORTFOLIO,
                    requested_by_id=assessor.id,
                    learner_id=world.learner_id,
                    status=JobStatus.RUNNING,
                )
            )
        db.session.commit()
    response = start(client, world.learner_id)
    assert response.status_code == 429
    assert "You already have 3 exports in progress" in response.text
    with app.app_context():
        assert db.session.query(ExportJob).count() == 3


def test_asking_again_for_an_export_under_way_shows_that_one(app: Flask, world: People) -> None:
    client = _client(app, world.assessor)
    with app.app_context():
        from portfolio.auth import services as accounts

        assessor = accounts.find_user_by_email(world.assessor)
        assert assessor is not None
        waiting = ExportJob(
            kind=JobKind.PORTFOLIO,
            requested_by_id=assessor.id,
            learner_id=world.learner_id,
            status=JobStatus.QUEUED,
        )
        db.session.add(waiting)
        db.session.commit()
        waiting_id = waiting.id
    response = start(client, world.learner_id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/export/jobs/{waiting_id}"
    assert (
        "That export is already under way: this is it."
        in client.get(response.headers["Location"]).text
    )
    with app.app_context():
        assert db.session.query(ExportJob).count() == 1
