"""Revision pages in the browser: drafts stay hidden, publishing, stale edits, safe Markdown."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.auth.models import Role
from portfolio.content.models import Page, PageStatus
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text, version_of

DRAFT, PUBLISHED = "pts-a-overview", "pts-b-overview"
DRAFT_TITLE = "Returns, complaints and queries after the sale"


@pytest.fixture
def learner(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.learner().email)
    return client


def _tutor(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(Role.TUTOR).email)
    return client


def _stored(app: Flask, slug: str) -> Page:
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.slug == slug))
        assert page is not None
        return page


def _save(client: FlaskClient, slug: str, version: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"title": "A title", "body": "Some text.", "status": "draft", **fields}
    return send(client, f"/pages/{slug}/edit", {**data, "version": version})


def test_learners_never_see_a_draft(app: Flask, make: Factory, learner: FlaskClient) -> None:
    listing = learner.get("/pages/").get_data(as_text=True)
    assert f'href="/pages/{PUBLISHED}"' in listing
    assert f'href="/pages/{DRAFT}"' not in listing and DRAFT_TITLE not in text(listing)
    assert learner.get(f"/pages/{DRAFT}").status_code == 404
    assert learner.get(f"/pages/{PUBLISHED}").status_code == 200
    # A tutor sees the draft, marked as one.
    tutor = _tutor(app, make)
    listing = tutor.get("/pages/").get_data(as_text=True)
    assert f'href="/pages/{DRAFT}"' in listing and "status-draft" in listing
    assert tutor.get(f"/pages/{DRAFT}").status_code == 200


def test_a_tutor_publishes_and_learners_then_see_the_page(
    app: Flask, make: Factory, learner: FlaskClient
) -> None:
    tutor = _tutor(app, make)
    version = version_of(tutor.get(f"/pages/{DRAFT}/edit"))
    response = _save(
        tutor,
        DRAFT,
        version,
        title="Rights after the sale",
        body="**Thirty** days.",
        status="published",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{DRAFT}"
    stored = _stored(app, DRAFT)
    assert stored.status is PageStatus.PUBLISHED and stored.published_at is not None

    assert f'href="/pages/{DRAFT}"' in learner.get("/pages/").get_data(as_text=True)
    page = learner.get(f"/pages/{DRAFT}").get_data(as_text=True)
    assert "Rights after the sale" in page and "<strong>Thirty</strong> days." in page


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublishing_hides_the_page_again(
    app: Flask, make: Factory, learner: FlaskClient, status: str
) -> None:
    tutor = _tutor(app, make)
    version = version_of(tutor.get(f"/pages/{PUBLISHED}/edit"))
    assert _save(tutor, PUBLISHED, version, status=status).status_code == 302
    assert _stored(app, PUBLISHED).status == status
    assert learner.get(f"/pages/{PUBLISHED}").status_code == 404
    assert f'href="/pages/{PUBLISHED}"' not in learner.get("/pages/").get_data(as_text=True)


def test_a_stale_edit_is_refused_and_nothing_is_lost(app: Flask, make: Factory) -> None:
    first, second = _tutor(app, make), _tutor(app, make)
    opened_first = version_of(first.get(f"/pages/{PUBLISHED}/edit"))
    opened_second = version_of(second.get(f"/pages/{PUBLISHED}/edit"))
    assert opened_first == opened_second

    saved = _save(first, PUBLISHED, opened_first, title="First", body="The first tutor's text.")
    assert saved.status_code == 302

    refused = _save(
        second, PUBLISHED, opened_second, title="Second", body="The second tutor's text."
    )
    assert refused.status_code in (200, 409)
    html = text(refused)
    assert "Someone else saved this page" in html
    form = read_form(refused)
    assert form.value("body") == "The second tutor's text."  # theirs is kept in the form
    assert form.value("title") == "Second"
    assert "The first tutor's text." in html  # and the saved version is shown
    stored = _stored(app, PUBLISHED)
    assert (stored.title, stored.body) == ("First", "The first tutor's text.")

    # Saving again from the conflict page is a knowing overwrite, and it works.
    again = _save(
        second,
        PUBLISHED,
        form.value("version") or "",
        title="Second",
        body="The second tutor's text.",
    )
    assert again.status_code == 302
    assert _stored(app, PUBLISHED).body == "The second tutor's text."


def test_an_empty_body_is_refused_and_the_title_kept(app: Flask, make: Factory) -> None:
    tutor = _tutor(app, make)
    before = _stored(app, PUBLISHED)
    version = version_of(tutor.get(f"/pages/{PUBLISHED}/edit"))
    response = _save(tutor, PUBLISHED, version, title="Kept title", body="")
    assert response.status_code == 200
    form = read_form(response)
    assert "This field is required." in form.errors["body"]
    assert form.value("title") == "Kept title"
    assert _stored(app, PUBLISHED).body == before.body


def test_markdown_in_a_page_is_sanitised_when_shown(
    app: Flask, make: Factory, learner: FlaskClient
) -> None:
    tutor = _tutor(app, make)
    version = version_of(tutor.get(f"/pages/{PUBLISHED}/edit"))
    body = (
        "## Safe heading\n\n"
        "<script>alert('owned')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[click me](javascript:alert(1))\n\n"
        '<a href="/pages/" onclick="alert(1)">inline link</a>\n\n'
        "**bold** stays"
    )
    assert _save(tutor, PUBLISHED, version, body=body, status="published").status_code == 302
    html = learner.get(f"/pages/{PUBLISHED}").get_data(as_text=True)
    lowered = html.lower()
    for needle in ("<script", "onerror", "onclick", "javascript:", "<img"):
        assert needle not in lowered, needle
    assert "<h2>Safe heading</h2>" in html
    assert "<strong>bold</strong> stays" in html
    assert "click me" in html
    # The raw source is still stored as typed: sanitising happens on the way out.
    assert _stored(app, PUBLISHED).body == body
