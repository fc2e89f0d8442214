"""Tutors in the browser: new pages, every field of the editor, preview, history, differences,
restoring, the review list; and learners kept out of all of it."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role
from portfolio.content.forms import RESERVED_SLUGS
from portfolio.content.models import Page, PageRead, PageStatus
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text, version_of

PAGE = "pts-b-overview"  # published, element pts-b, one imported revision
PAGE_TITLE = "Follow-up, resolution and improvement"


@dataclass(frozen=True)
class Stored:
    """A page as the database holds it, read in its own app context."""

    title: str
    body: str
    status: PageStatus
    element_id: str
    marking_points: list[str]
    misconceptions: list[str]
    legislation: list[str]
    reviewed_on: date | None
    review_by: date | None
    version: int
    updated_by_id: int | None
    revisions: list[tuple[int, str, int | None, str]]  # number, body, author id, note


def _stored(app: Flask, slug: str) -> Stored | None:
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.slug == slug))
        if page is None:
            return None
        return Stored(
            title=page.title,
            body=page.body,
            status=page.status,
            element_id=page.element_id,
            marking_points=[p.id for p in page.marking_points],
            misconceptions=[m.id for m in page.misconceptions],
            legislation=list(page.legislation),
            reviewed_on=page.reviewed_on,
            review_by=page.review_by,
            version=page.version,
            updated_by_id=page.updated_by_id,
            revisions=[(r.number, r.body, r.author_id, r.note) for r in page.revisions],
        )


def _page(app: Flask, slug: str) -> Stored:
    stored = _stored(app, slug)
    assert stored is not None, slug
    return stored


def _page_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Page)) or 0


@dataclass
class Tutor:
    client: FlaskClient
    id: int
    name: str


@pytest.fixture
def tutor(app: Flask, make: Factory) -> Tutor:
    user = make.user(Role.TUTOR, name="Tess Tutor")
    client = app.test_client()
    login(client, user.email)
    return Tutor(client, user.id, user.name)


def _edit_form(client: FlaskClient, slug: str) -> dict[str, object]:
    """What the edit page's form would send untouched, as a browser would send it."""
    values = read_form(client.get(f"/pages/{slug}/edit")).values
    values.pop("csrf_token", None)
    return {name: v if len(v) > 1 else v[0] for name, v in values.items()}


def _save(client: FlaskClient, slug: str, **changes: object):  # type: ignore[no-untyped-def]
    return send(client, f"/pages/{slug}/edit", {**_edit_form(client, slug), **changes})


NEW_PAGE: dict[str, object] = {
    "slug": "pts-b-handover-notes",
    "title": "Handover notes that close the loop",
    "element_id": "pts-b",
    "marking_points": ["pts-b.3", "pts-b.1"],
    "misconceptions": ["pts-b.m3"],
    "legislation": "Consumer Rights Act 2015 s22\n\n   UK GDPR Art 15  \n",
    "reviewed_on": "2026-01-10",
    "review_by": "2026-07-10",
    "status": "published",
    "body": "## Why handovers matter\n\nA **good** note saves the customer repeating themselves.",
    "action": "save",
}


# --- New page ---------------------------------------------------------------------------------


def test_a_tutor_creates_a_page_with_every_field(app: Flask, tutor: Tutor, make: Factory) -> None:
    assert "pts-b.m3" in tutor.client.get("/pages/new").get_data(as_text=True)
    response = send(tutor.client, "/pages/new", NEW_PAGE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/pages/pts-b-handover-notes"

    stored = _page(app, "pts-b-handover-notes")
    assert stored.title == "Handover notes that close the loop"
    assert (stored.element_id, stored.status) == ("pts-b", PageStatus.PUBLISHED)
    assert stored.marking_points == ["pts-b.1", "pts-b.3"]
    assert stored.misconceptions == ["pts-b.m3"]
    assert stored.legislation == ["Consumer Rights Act 2015 s22", "UK GDPR Art 15"]
    assert (stored.reviewed_on, stored.review_by) == (date(2026, 1, 10), date(2026, 7, 10))
    assert stored.updated_by_id == tutor.id
    assert stored.revisions == [(1, NEW_PAGE["body"], tutor.id, "Created")]

    shown = tutor.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Created “Handover notes that close the loop” (published)." in text(shown)

    # Published, so a learner reads it, with its review date, citations, points and rendering.
    learner = app.test_client()
    login(learner, make.learner().email)
    page = text(learner.get("/pages/pts-b-handover-notes"))
    assert "Last reviewed 10 January 2026" in page
    assert "<li>Consumer Rights Act 2015 s22</li>" in page and "<li>UK GDPR Art 15</li>" in page
    assert "<strong>pts-b.3</strong>" in page
    assert "<h2>Why handovers matter</h2>" in page and "<strong>good</strong>" in page


BAD_NEW_PAGES = [
    ("slug", {"slug": "Handover Notes"}, "lower-case letters, digits and '-'"),
    ("slug", {"slug": ""}, "This field is required."),
    ("slug", {"slug": "search"}, "used by the site itself"),
    ("slug", {"slug": PAGE}, f"The address '{PAGE}' is already used by another page."),
    ("title", {"title": "   "}, "This field is required."),
    ("title", {"title": "x" * 201}, "Field cannot be longer than 200 characters."),
    ("body", {"body": ""}, "This field is required."),
    ("element_id", {"element_id": "pts-z"}, "Not a valid choice."),
    ("status", {"status": "deleted"}, "Not a valid choice."),
    (
        "marking_points",
        {"marking_points": ["pts-b.1", "pts-a.1"]},
        "pts-a.1 is not a marking point of “Post-transaction service: follow-up",
    ),
    ("marking_points", {"marking_points": ["pts-b.99"]}, "not a valid choice"),
    (
        "misconceptions",
        {"misconceptions": ["pts-a.m1", "pts-a.m2"]},
        "pts-a.m1, pts-a.m2 are not a misconception of",
    ),
    ("reviewed_on", {"reviewed_on": "yesterday"}, "Not a valid date value."),
    (
        "review_by",
        {"reviewed_on": "2026-05-01", "review_by": "2026-04-30"},
        "The review-by date cannot be before the last review (1 May 2026).",
    ),
    ("legislation", {"legislation": "A" * 201}, "Each citation must be at most 200 characters"),
]


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    BAD_NEW_PAGES,
    ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD_NEW_PAGES)],
)
def test_bad_input_on_a_new_page_is_shown_next_to_the_field_and_kept(
    app: Flask, tutor: Tutor, field: str, changes: dict[str, object], message: str
) -> None:
    before = _page_count(app)
    response = send(tutor.client, "/pages/new", {**NEW_PAGE, **changes})
    assert response.status_code == 422
    form = read_form(response)
    assert message in form.errors.get(field, ""), form.errors
    assert set(form.errors) == {field}, form.errors  # the other fields were fine
    assert "There is a problem" in text(response)
    # What was typed is still there to correct.
    for name in ("title", "body", "legislation", "reviewed_on", "slug"):
        typed = str(changes.get(name, NEW_PAGE[name]))
        assert (form.value(name) or "").strip() == typed.strip(), name
    assert sorted(form.all("marking_points")) == sorted(
        set(changes.get("marking_points", NEW_PAGE["marking_points"]))  # type: ignore[arg-type]
        - {"pts-b.99"}  # not a choice, so there is no box to show ticked
    )
    assert _page_count(app) == before
    if changes.get("slug") != PAGE:
        assert _stored(app, str(changes.get("slug", NEW_PAGE["slug"]))) is None


def test_previewing_a_new_page_creates_nothing(app: Flask, tutor: Tutor) -> None:
    before = _page_count(app)
    response = send(tutor.client, "/pages/new", {**NEW_PAGE, "action": "preview"})
    assert response.status_code == 200
    assert "Preview (not saved)" in text(response)
    assert "<h2>Why handovers matter</h2>" in response.get_data(as_text=True)
    assert read_form(response).value("slug") == NEW_PAGE["slug"]
    assert _page_count(app) == before


def test_every_fixed_address_under_pages_is_a_reserved_slug(app: Flask) -> None:
    fixed = {
        rule.rule.split("/")[2]
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/pages/") and rule.rule.count("/") == 2 and "<" not in rule.rule
    } - {""}
    assert fixed and fixed <= RESERVED_SLUGS, fixed


# --- Editing and preview ----------------------------------------------------------------------


def test_a_tutor_edits_every_field_and_leaves_a_note(app: Flask, tutor: Tutor) -> None:
    before = _page(app, PAGE)
    response = _save(
        tutor.client,
        PAGE,
        title="Follow-up after the sale",
        marking_points=["pts-b.5", "pts-b.6"],
        misconceptions=["pts-b.m2"],
        legislation="Consumer Rights Act 2015 s24",
        reviewed_on="2026-02-01",
        review_by="2026-08-01",
        note="Narrowed to root causes",
        action="save",
    )
    assert response.status_code == 302
    stored = _page(app, PAGE)
    assert stored.title == "Follow-up after the sale"
    assert stored.marking_points == ["pts-b.5", "pts-b.6"]
    assert stored.misconceptions == ["pts-b.m2"]
    assert stored.legislation == ["Consumer Rights Act 2015 s24"]
    assert (stored.reviewed_on, stored.review_by) == (date(2026, 2, 1), date(2026, 8, 1))
    assert stored.body == before.body  # untouched fields are saved as they were
    assert stored.version == before.version + 1
    assert stored.revisions[-1][2:] == (tutor.id, "Narrowed to root causes")
    assert len(stored.revisions) == len(before.revisions) + 1


def test_unticking_every_point_clears_them(app: Flask, tutor: Tutor) -> None:
    data = _edit_form(tutor.client, PAGE)
    assert data["marking_points"]  # the form shows the page's points ticked
    data.pop("marking_points")  # a browser sends nothing for a group with no box ticked
    assert send(tutor.client, f"/pages/{PAGE}/edit", data).status_code == 302
    assert _page(app, PAGE).marking_points == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"marking_points": ["pts-a.2"]}, "marking_points", "pts-a.2 is not a marking point of"),
        ({"review_by": "2020-01-01"}, "review_by", "cannot be before the last review"),
        ({"note": "n" * 201}, "note", "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_input_on_edit_is_refused_next_to_the_field(
    app: Flask, tutor: Tutor, changes: dict[str, object], field: str, message: str
) -> None:
    before = _page(app, PAGE)
    response = _save(tutor.client, PAGE, body="Typed but refused.", **changes)
    assert response.status_code == 422
    form = read_form(response)
    assert message in form.errors[field]
    assert form.value("body") == "Typed but refused."
    assert _page(app, PAGE) == before


def test_preview_saves_nothing_and_shows_the_body_sanitised(app: Flask, tutor: Tutor) -> None:
    before = _page(app, PAGE)
    body = (
        "## Preview heading\n\n"
        "**bold** stays\n\n"
        "<script>alert('owned')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[click me](javascript:alert(1))"
    )
    response = _save(tutor.client, PAGE, title="Previewed title", body=body, action="preview")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    preview = re.search(r'<section class="preview".*?</section>', html, re.S)
    assert preview, "no preview section"
    shown = preview.group(0)
    assert 'aria-labelledby="preview-title"' in shown and "Preview (not saved)" in shown
    assert "<h2>Preview heading</h2>" in shown and "<strong>bold</strong> stays" in shown
    assert "Previewed title" in shown and "click me" in shown
    for needle in ("<script", "onerror", "javascript:", "<img"):
        assert needle not in shown.lower(), needle
    assert "<script" not in html.lower()  # the typed source is escaped in the textarea too
    # The form keeps what was typed, the version it was opened at, and nothing is saved.
    form = read_form(response)
    assert (form.value("title"), form.value("body")) == ("Previewed title", body)
    assert form.value("version") == str(before.version)
    assert _page(app, PAGE) == before


def test_preview_with_a_mistake_shows_the_error_too(app: Flask, tutor: Tutor) -> None:
    before = _page(app, PAGE)
    response = _save(tutor.client, PAGE, title="", body="Still **shown**", action="preview")
    assert response.status_code == 422
    assert "This field is required." in read_form(response).errors["title"]
    assert "<strong>shown</strong>" in response.get_data(as_text=True)
    assert _page(app, PAGE) == before


def test_a_save_without_the_version_is_refused(app: Flask, tutor: Tutor) -> None:
    before = _page(app, PAGE)
    data = _edit_form(tutor.client, PAGE)
    data.pop("version")
    response = send(tutor.client, f"/pages/{PAGE}/edit", {**data, "body": "No version"})
    assert response.status_code == 422
    assert _page(app, PAGE) == before
    garbled = send(tutor.client, f"/pages/{PAGE}/edit", {**data, "version": "two"})
    assert garbled.status_code == 400
    assert _page(app, PAGE) == before


# --- History, revisions, differences and restoring -------------------------------------------


def _two_edits(tutor: Tutor) -> None:
    for body, note in (("Line one\nLine two", "First edit"), ("Line one\nLine 2 changed", "")):
        assert _save(tutor.client, PAGE, body=body, note=note).status_code == 302


def test_history_lists_revisions_newest_first(app: Flask, tutor: Tutor) -> None:
    _two_edits(tutor)
    html = text(tutor.client.get(f"/pages/{PAGE}/history"))
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)[1:]  # the first row is the header
    assert [re.search(r"Revision (\d+)</a>", r).group(1) for r in rows] == ["3", "2", "1"]  # type: ignore[union-attr]
    assert "(current)" in rows[0] and "Tess Tutor" in rows[0]
    assert "First edit" in rows[1] and "Tess Tutor" in rows[1]
    assert "Imported" in rows[2]
    assert f'href="/pages/{PAGE}/revisions/1"' in rows[2]
    assert f'href="/pages/{PAGE}/diff?from=2&to=3"' in rows[0]
    assert f'action="/pages/{PAGE}/revisions/2/restore"' in rows[1]
    assert "/restore" not in rows[0]  # the current revision has nothing to restore
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html


def test_a_revision_is_shown_read_only(app: Flask, tutor: Tutor) -> None:
    original = _page(app, PAGE).body
    _two_edits(tutor)
    response = tutor.client.get(f"/pages/{PAGE}/revisions/1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert PAGE_TITLE in text(html)
    assert "<h2>What this element is about</h2>" in html  # rendered, not the Markdown source
    assert original.split("\n")[0] not in html  # "## What this..." is not shown raw
    assert "<form" not in html.split("<main", 1)[1]  # read-only: no form on it
    assert tutor.client.get(f"/pages/{PAGE}/revisions/9").status_code == 404


def test_the_difference_shows_added_and_removed_lines(app: Flask, tutor: Tutor) -> None:
    _two_edits(tutor)
    html = tutor.client.get(f"/pages/{PAGE}/diff?from=2&to=3").get_data(as_text=True)
    assert '<ins><span class="visually-hidden">Added: </span>Line 2 changed</ins>' in html
    assert '<del><span class="visually-hidden">Removed: </span>Line two</del>' in html
    assert "1 line added" in html and "1 line removed" in html
    assert '<li class="diff-same">Line one</li>' in html  # an unchanged line is plain
    # With no numbers, the newest revision is compared with the one before it.
    default = tutor.client.get(f"/pages/{PAGE}/diff").get_data(as_text=True)
    lines = re.compile(r'<ul class="diff".*?</ul>', re.S)
    assert lines.findall(default) == lines.findall(html) != []
    assert 'From <a href="/pages/pts-b-overview/revisions/2">revision 2</a>' in default
    wider = tutor.client.get(f"/pages/{PAGE}/diff?from=1&to=3").get_data(as_text=True)
    assert "Removed: </span>## What this element is about" in wider


@pytest.mark.parametrize(
    ("query", "status"),
    [("from=abc&to=1", 400), ("from=1&to=1.5", 400), ("from=1&to=99", 404), ("from=0", 404)],
)
def test_a_bad_difference_request(tutor: Tutor, query: str, status: int) -> None:
    assert tutor.client.get(f"/pages/{PAGE}/diff?{query}").status_code == status


def test_restoring_makes_a_new_revision(app: Flask, tutor: Tutor) -> None:
    original = _page(app, PAGE)
    _two_edits(tutor)
    history = tutor.client.get(f"/pages/{PAGE}/history")
    response = send(
        tutor.client, f"/pages/{PAGE}/revisions/1/restore", {"version": version_of(history)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/pages/{PAGE}/history"
    stored = _page(app, PAGE)
    assert stored.body == original.body and stored.title == original.title
    assert [r[0] for r in stored.revisions] == [1, 2, 3, 4]
    assert stored.revisions[-1][2:] == (tutor.id, "Restored revision 1")
    assert stored.revisions[2][1] == "Line one\nLine 2 changed"  # history is not rewritten
    assert "Restored revision 1: it is now revision 4." in text(
        tutor.client.get(f"/pages/{PAGE}/history")
    )


def test_a_stale_restore_is_refused(app: Flask, tutor: Tutor, make: Factory) -> None:
    assert _save(tutor.client, PAGE, body="A second revision").status_code == 302
    history = tutor.client.get(f"/pages/{PAGE}/history")
    opened = version_of(history)
    other = app.test_client()
    login(other, make.user(Role.TUTOR).email)
    assert _save(other, PAGE, body="Saved meanwhile").status_code == 302
    before = _page(app, PAGE)

    response = send(tutor.client, f"/pages/{PAGE}/revisions/1/restore", {"version": opened})
    assert response.status_code == 302
    assert "Nothing was restored" in text(tutor.client.get(response.headers["Location"]))
    assert _page(app, PAGE) == before


def test_a_restore_needs_a_version_and_a_real_revision(app: Flask, tutor: Tutor) -> None:
    before = _page(app, PAGE)
    assert send(tutor.client, f"/pages/{PAGE}/revisions/1/restore", {}).status_code == 400
    url = f"/pages/{PAGE}/revisions/1/restore"
    assert send(tutor.client, url, {"version": "x"}).status_code == 400
    url = f"/pages/{PAGE}/revisions/7/restore"
    assert send(tutor.client, url, {"version": str(before.version)}).status_code == 404
    assert _page(app, PAGE) == before


# --- Review dates -----------------------------------------------------------------------------


def test_the_review_list_marks_overdue_pages(app: Flask, tutor: Tutor) -> None:
    today = date.today()
    dates = {
        PAGE: (today - timedelta(days=400), today - timedelta(days=1)),
        "pts-b-gathering-feedback": (today - timedelta(days=100), today + timedelta(days=10)),
        "pts-b-complaints-with-last": (today, today + timedelta(days=365)),
    }
    for slug, (reviewed, review_by) in dates.items():
        response = _save(
            tutor.client, slug, reviewed_on=reviewed.isoformat(), review_by=review_by.isoformat()
        )
        assert response.status_code == 302
        assert _page(app, slug).review_by == review_by

    html = text(tutor.client.get("/pages/review"))
    rows = {
        slug: row
        for row in re.findall(r"<tr>.*?</tr>", html, re.S)
        for slug in dates
        if f'href="/pages/{slug}"' in row
    }
    assert '<strong class="overdue">Overdue</strong> by 1 day' in rows[PAGE]
    assert f'href="/pages/{PAGE}/edit"' in rows[PAGE]
    assert "Due in 10 days" in rows["pts-b-gathering-feedback"]
    assert "Overdue" not in rows["pts-b-gathering-feedback"]
    assert "pts-b-complaints-with-last" not in rows  # a year away
    assert html.index(f'href="/pages/{PAGE}"') < html.index(
        'href="/pages/pts-b-gathering-feedback"'
    )


# --- Who may do what --------------------------------------------------------------------------

AUTHORING = [
    ("GET", "/pages/new"),
    ("POST", "/pages/new"),
    ("GET", "/pages/review"),
    ("GET", f"/pages/{PAGE}/edit"),
    ("POST", f"/pages/{PAGE}/edit"),
    ("GET", f"/pages/{PAGE}/history"),
    ("GET", f"/pages/{PAGE}/revisions/1"),
    ("POST", f"/pages/{PAGE}/revisions/1/restore"),
    ("GET", f"/pages/{PAGE}/diff?from=1&to=1"),
]


@pytest.mark.parametrize(("method", "url"), AUTHORING)
def test_learners_cannot_reach_authoring(app: Flask, make: Factory, method: str, url: str) -> None:
    learner = app.test_client()
    login(learner, make.learner().email)
    before, count = _page(app, PAGE), _page_count(app)
    if method == "GET":
        response = learner.get(url)
    else:
        response = send(learner, url, {**NEW_PAGE, "version": str(before.version)})
    assert response.status_code == 403
    assert (_page(app, PAGE), _page_count(app)) == (before, count)


def test_learners_see_no_authoring_links(app: Flask, make: Factory) -> None:
    learner = app.test_client()
    login(learner, make.learner().email)
    for url in ("/pages/", f"/pages/{PAGE}"):
        html = learner.get(url).get_data(as_text=True)
        for link in ("/pages/new", "/pages/review", "/edit", "/history"):
            assert link not in html, (url, link)


def test_a_tutor_sees_the_authoring_links(tutor: Tutor) -> None:
    html = tutor.client.get("/pages/").get_data(as_text=True)
    assert 'href="/pages/new"' in html and 'href="/pages/review"' in html
    html = tutor.client.get(f"/pages/{PAGE}").get_data(as_text=True)
    assert f'href="/pages/{PAGE}/edit"' in html and f'href="/pages/{PAGE}/history"' in html
    assert f'action="/pages/{PAGE}/read"' not in html  # reading is tracked for learners


def test_no_inline_script_or_style_on_any_content_page(app: Flask, tutor: Tutor) -> None:
    _two_edits(tutor)
    urls = [
        "/pages/",
        "/pages/search?q=refund",
        "/pages/new",
        "/pages/review",
        f"/pages/{PAGE}",
        f"/pages/{PAGE}/edit",
        f"/pages/{PAGE}/history",
        f"/pages/{PAGE}/revisions/1",
        f"/pages/{PAGE}/diff",
    ]
    for url in urls:
        response = tutor.client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True).lower()
        assert "<script" not in html and " style=" not in html and "<style" not in html, url
        headings = [int(h) for h in re.findall(r"<h([1-6])[ >]", html)]
        assert headings[0] == 1 and headings.count(1) == 1, url
        assert all(b - a <= 1 for a, b in itertools.pairwise(headings)), url


def test_reading_is_not_recorded_for_tutors(app: Flask, tutor: Tutor) -> None:
    assert send(tutor.client, f"/pages/{PAGE}/read", {}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PageRead)) == 0
