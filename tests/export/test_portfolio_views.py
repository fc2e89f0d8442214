"""Downloading the portfolio PDF: who may, and the element and EQA options."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Role
from tests.conftest import login
from tests.export.support import People, build_people, page_texts, read_pdf
from tests.factories import Factory


@pytest.fixture
def world(app: Flask, make: Factory) -> People:
    return build_people(app, make)


def _url(world: People, query: str = "") -> str:
    return f"/export/learners/{world.learner_id}/portfolio.pdf{query}"


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def test_the_learner_downloads_their_own(app: Flask, world: People) -> None:
    response = _client(app, world.learner).get(_url(world))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="portfolio-lily-learner.pdf"'
    )
    assert "Kettle refund" in " ".join(page_texts(read_pdf(response.data)))


def test_another_learner_gets_not_found(app: Flask, world: People) -> None:
    assert _client(app, world.other).get(_url(world)).status_code == 404


def test_an_unrelated_assessor_gets_not_found(app: Flask, world: People, make: Factory) -> None:
    stranger = make.user(Role.ASSESSOR)
    assert _client(app, stranger.email).get(_url(world)).status_code == 404


def test_one_element(app: Flask, world: People) -> None:
    response = _client(app, world.assessor).get(_url(world, "?element=pts-b"))
    assert response.status_code == 200
    assert 'filename="portfolio-lily-learner-pts-b.pdf"' in response.headers["Content-Disposition"]
    whole = " ".join(page_texts(read_pdf(response.data)))
    assert "Sofa complaint" in whole and "Kettle refund" not in whole


def test_an_unknown_element_is_not_found(app: Flask, world: People) -> None:
    client = _client(app, world.learner)
    assert client.get(_url(world, "?element=no-such")).status_code == 404


def test_an_eqa_sample(app: Flask, world: People) -> None:
    response = _client(app, world.iqa).get(_url(world, "?eqa=1"))
    assert response.status_code == 200
    assert 'filename="portfolio-lily-learner-eqa.pdf"' in response.headers["Content-Disposition"]
    whole = " ".join(page_texts(read_pdf(response.data)))
    assert "Toaster exchange" in whole and "Kettle refund" not in whole
