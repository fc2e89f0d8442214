"""Revision pages in the browser: drafts stay hidden, publishing, stale edits, safe Markdown;
what learners see: the pages by element, their reading progress, a page's details, search."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.auth.models import Role
from portfolio.content.models import Page, PageRead, PageStatus
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
    """Post the whole edit form, as a browser would, with these fields changed."""
    values = read_form(client.get(f"/pages/{slug}/edit")).values
    values.pop("csrf_token", None)
    data = {name: v if len(v) > 1 else v[0] for name, v in values.items()}
    data.update({"title": "A title", "body": "Some text.", "status": "draft", **fields})
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
    assert response.status_code == 422
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


# --- What learners see ------------------------------------------------------------------------


def _learner_id(make: Factory) -> tuple[FlaskClient, int]:
    user = make.learner()
    client = make.app.test_client()
    login(client, user.email)
    return client, user.id


def _reads(app: Flask, user_id: int) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(Page.slug)
                .join(PageRead, PageRead.page_id == Page.id)
                .where(PageRead.user_id == user_id)
            )
        )


def _published_in(app: Flask, element_id: str) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(Page.id).where(
                    Page.element_id == element_id, Page.status == PageStatus.PUBLISHED
                )
            ).all()
        )


def _item(html: str, slug: str) -> str:
    """The list item of one page on the list of pages."""
    match = re.search(rf'<li>\s*<a href="/pages/{slug}">.*?</li>', html, re.S)
    assert match, slug
    return match.group(0)


def test_pages_are_listed_by_element_with_reading_progress(app: Flask, make: Factory) -> None:
    client, user_id = _learner_id(make)
    total = _published_in(app, "pts-b")
    html = client.get("/pages/").get_data(as_text=True)
    assert "Level 2 Certificate in Customer Service" in html  # qualification
    assert "<h3>Deliver post-transaction service</h3>" in html  # unit
    assert 'id="element-pts-b">Post-transaction service: follow-up' in html  # element
    assert f"You have read 0 of {total} pages" in html
    assert f'<progress id="progress-pts-b" max="{total}" value="0">' in html
    assert '<label for="progress-pts-b">' in html
    item = _item(html, PUBLISHED)
    assert "Not read yet" in item and "Supports pts-b.1, pts-b.2" in item

    response = send(client, f"/pages/{PUBLISHED}/read", {})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{PUBLISHED}"
    assert _reads(app, user_id) == {PUBLISHED}
    page = text(client.get(f"/pages/{PUBLISHED}"))
    assert "You marked this page as read on " in page
    assert f'action="/pages/{PUBLISHED}/read"' not in page

    html = client.get("/pages/").get_data(as_text=True)
    assert f"You have read 1 of {total} pages" in html
    assert f'<progress id="progress-pts-b" max="{total}" value="1">' in html
    assert ">Read</span>" in _item(html, PUBLISHED)
    assert "You have read 0 of" in html  # the other element is unchanged
    # Reading again keeps one record.
    assert send(client, f"/pages/{PUBLISHED}/read", {}).status_code == 302
    assert _reads(app, user_id) == {PUBLISHED}


def test_a_draft_cannot_be_marked_as_read(app: Flask, make: Factory) -> None:
    client, user_id = _learner_id(make)
    assert send(client, f"/pages/{DRAFT}/read", {}).status_code == 404
    assert send(client, "/pages/no-such-page/read", {}).status_code == 404
    assert _reads(app, user_id) == set()
    assert client.post(f"/pages/{PUBLISHED}/read").status_code == 400  # no CSRF token
    assert _reads(app, user_id) == set()


def test_a_page_shows_its_element_review_date_citations_points_and_misconceptions(
    app: Flask, learner: FlaskClient
) -> None:
    html = text(learner.get(f"/pages/{PUBLISHED}"))
    assert "Post-transaction service: follow-up, resolution and improvement" in html
    assert "Last reviewed 20 November 2026" in html
    assert "<li>UK GDPR Art 5</li>" in html and "<li>Data Protection Act 2018</li>" in html
    assert "<strong>pts-b.5</strong> Identifies a root cause from a customer complaint" in html
    assert "Applying organisational policies inconsistently" in html  # misconception pts-b.m4
    assert f'action="/pages/{PUBLISHED}/read"' in html and "Mark as read" in html
    assert 'action="/pages/search"' in html  # a search box on the page


def test_a_page_never_reviewed_says_so(app: Flask, make: Factory, learner: FlaskClient) -> None:
    tutor = _tutor(app, make)
    version = version_of(tutor.get(f"/pages/{PUBLISHED}/edit"))
    saved = _save(
        tutor, PUBLISHED, version, status="published", reviewed_on="", review_by="", legislation=""
    )
    assert saved.status_code == 302
    stored = _stored(app, PUBLISHED)
    assert (stored.reviewed_on, stored.review_by, stored.legislation) == (None, None, [])
    html = text(learner.get(f"/pages/{PUBLISHED}"))
    assert "Not yet reviewed" in html and "Last reviewed" not in html
    assert "Legislation it cites" not in html


def test_search_shows_highlighted_snippets_of_published_pages_only(
    app: Flask, make: Factory, learner: FlaskClient
) -> None:
    assert 'action="/pages/search"' in learner.get("/pages/").get_data(as_text=True)
    html = learner.get("/pages/search?q=subject+access+request").get_data(as_text=True)
    assert 'href="/pages/pts-a-subject-access-request"' in html
    assert "<mark>" in html
    assert read_form(html).value("q") == "subject access request"

    with app.app_context():
        draft = db.session.scalar(select(Page).where(Page.slug == DRAFT))
        assert draft is not None and draft.status is PageStatus.DRAFT
        word = draft.search_text.split()[5]
    assert f'href="/pages/{DRAFT}"' not in learner.get(f"/pages/search?q={word}").get_data(
        as_text=True
    )
    # A tutor searching sees the same: drafts are never search results.
    tutor = _tutor(app, make)
    assert f'href="/pages/{DRAFT}"' not in tutor.get(f"/pages/search?q={word}").get_data(
        as_text=True
    )
    version = version_of(tutor.get(f"/pages/{DRAFT}/edit"))
    body = _stored(app, DRAFT).body
    assert _save(tutor, DRAFT, version, body=body, status="published").status_code == 302
    assert f'href="/pages/{DRAFT}"' in learner.get(f"/pages/search?q={word}").get_data(as_text=True)


def test_search_without_a_query_shows_just_the_form(learner: FlaskClient) -> None:
    response = learner.get("/pages/search")
    assert response.status_code == 200
    html = text(response)
    assert '<input id="q"' in html and 'type="search"' in html
    assert "No published page matches" not in html and "search-results" not in html


def test_search_with_no_hits_says_so(learner: FlaskClient) -> None:
    html = text(learner.get("/pages/search?q=xylophone+zeppelin"))
    assert "No published page matches “xylophone zeppelin”." in html
    assert "search-results" not in html


@pytest.mark.parametrize("query", ['" OR 1=1 --', "NEAR(", "*", "<script>alert(1)</script>"])
def test_search_survives_hostile_queries(learner: FlaskClient, query: str) -> None:
    response = learner.get("/pages/search", query_string={"q": query})
    assert response.status_code == 200
    assert "<script>alert" not in response.get_data(as_text=True)
    assert read_form(response).value("q") == query


def test_a_very_long_search_is_refused_next_to_the_box(learner: FlaskClient) -> None:
    query = "refund " * 100
    response = learner.get("/pages/search", query_string={"q": query})
    assert response.status_code == 422
    form = read_form(response)
    assert form.errors["q"] == "Error: Search for at most 200 characters."
    assert form.value("q") == query.strip()
    assert "search-results" not in text(response)
