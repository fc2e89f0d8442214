"""The revision sheet PDF of an element: its published pages only, a contents page with page
numbers, and the pages' own images (nothing else fetched)."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.core.pdf import BASE_URL
from portfolio.extensions import db
from tests.conftest import login
from tests.export.support import count_renders, spy_on_fetcher
from tests.factories import Factory, image_bytes

SHEET = "/export/elements/pts-a/sheet.pdf"
DRAFT_TITLE = "Returns, complaints and queries after the sale"  # pts-a-overview, a draft


@pytest.fixture
def learner(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(Role.LEARNER).email)
    return client


def _words(text: str) -> str:
    return " ".join(text.split())


def _sheet(client: FlaskClient) -> PdfReader:
    response = client.get(SHEET)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="revision-pts-a.pdf"'
    return PdfReader(io.BytesIO(response.data))


def _published_titles(app: Flask, element_id: str = "pts-a") -> list[str]:
    with app.app_context():
        return [p.title for p in content.pages_for_element(element_id)]


def _append_to_body(app: Flask, make: Factory, slug: str, markdown: str) -> None:
    with app.app_context():
        page = content.get_page(slug, include_unpublished=True)
        tutor = db.session.get(User, make.user(Role.TUTOR).id)
        assert page is not None and tutor is not None
        fields = replace(content.PageFields.from_page(page), body=f"{page.body}\n\n{markdown}\n")
        content.save_page(page, tutor, fields, page.version)


def _images(reader: PdfReader) -> list[DictionaryObject]:
    """Every image XObject in the document, once each (WeasyPrint shares one resource
    dictionary between pages), including those inside form XObjects."""
    found: dict[int, DictionaryObject] = {}
    seen: set[int] = set()

    def walk(resources: DictionaryObject | None) -> None:
        if not resources or "/XObject" not in resources:
            return
        for ref in resources["/XObject"].get_object().values():
            xobject = ref.get_object()
            key = getattr(ref, "idnum", id(xobject))
            if key in seen:
                continue
            seen.add(key)
            if xobject.get("/Subtype") == "/Image":
                found[key] = xobject
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return list(found.values())


def test_the_sheet_holds_every_published_page_and_no_draft(
    app: Flask, learner: FlaskClient
) -> None:
    reader = _sheet(learner)
    whole = _words(" ".join(page.extract_text() for page in reader.pages))
    titles = _published_titles(app)
    assert len(titles) >= 5
    for title in titles:
        assert _words(title) in whole, title
    assert DRAFT_TITLE not in whole
    cover = _words(reader.pages[0].extract_text())
    assert "Revision sheet" in cover
    assert "Post-transaction service: returns, complaints, queries and compliance" in cover
    assert "so that customers stay loyal" in cover  # the element's synopsis
    assert re.search(r"\b\d{1,2} [A-Z][a-z]+ 20\d\d\b", cover)  # the date it was printed


def test_the_contents_give_the_page_each_revision_page_starts_on(
    app: Flask, learner: FlaskClient
) -> None:
    reader = _sheet(learner)
    contents = _words(reader.pages[1].extract_text())
    assert contents.startswith("Contents")
    previous = 2
    for title in _published_titles(app):
        match = re.search(re.escape(_words(title)) + r" ?\.{3,} ?(\d+)", contents)
        assert match, (title, contents)
        number = int(match.group(1))
        assert number > previous  # in order, after the cover and the contents
        assert _words(reader.pages[number - 1].extract_text()).startswith(_words(title))
        previous = number


def test_a_pages_uploaded_image_is_embedded(
    app: Flask, make: Factory, learner: FlaskClient
) -> None:
    image = make.page_image("pts-a-consumer-rights-act", data=image_bytes("PNG", 64, 48))
    _append_to_body(
        app, make, "pts-a-consumer-rights-act", f"![Till receipt](/media/images/{image.id})"
    )
    [embedded] = _images(_sheet(learner))
    assert (embedded["/Width"], embedded["/Height"]) == (64, 48)


def test_nothing_else_is_fetched(
    app: Flask, make: Factory, learner: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_element = make.page_image("pts-b-overview")  # published, but another element's
    draft_page = make.page_image("pts-a-overview")  # this element's, but a draft page's
    _append_to_body(
        app,
        make,
        "pts-a-escalation",
        f"![B](/media/images/{other_element.id})\n\n![Draft](/media/images/{draft_page.id})\n\n"
        "![Tracker](https://evil.example/track.png)\n\n"
        '<img src="http://127.0.0.1:9/x.png" alt="local">',
    )
    requested = spy_on_fetcher(monkeypatch)
    reader = _sheet(learner)

    assert _images(reader) == []
    served = [url for url, ok in requested if ok]
    assert served and all(url.startswith(BASE_URL + "static/") for url in served), served
    # The two uploaded images survive the sanitiser but are not on this sheet's allow-list.
    assert (f"{BASE_URL}media/images/{other_element.id}", False) in requested
    assert (f"{BASE_URL}media/images/{draft_page.id}", False) in requested
    # Outside addresses never reach the renderer at all: the sanitiser dropped them.
    assert all(url.startswith(BASE_URL) for url, _ in requested), requested


def test_an_unknown_element_is_not_found(learner: FlaskClient) -> None:
    assert learner.get("/export/elements/no-such-element/sheet.pdf").status_code == 404


def test_an_element_with_no_published_pages_still_prints(
    app: Flask, make: Factory, learner: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portfolio.export import services as export

    monkeypatch.setattr(export.content, "pages_for_element", lambda element_id: [])
    reader = _sheet(learner)
    assert len(reader.pages) == 2
    assert "No revision pages have been published" in reader.pages[1].extract_text()


def test_the_element_page_links_to_its_sheet(learner: FlaskClient) -> None:
    html = learner.get("/qualifications/elements/pts-a").get_data(as_text=True)
    assert f'href="{SHEET}"' in html


# Cached by what it shows, and limited per person


def test_the_same_sheet_again_comes_from_the_cache(
    app: Flask, make: Factory, learner: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = count_renders(monkeypatch)
    first = learner.get(SHEET).data
    assert learner.get(SHEET).data == first
    other = app.test_client()
    login(other, make.user(Role.ASSESSOR).email)
    assert other.get(SHEET).data == first  # the same pages for everyone
    assert renders == [1]
    # A page edited: the sheet shows it, so it is made again.
    _append_to_body(app, make, _published_slug(app), "A new paragraph for the sheet.")
    assert "A new paragraph for the sheet." in _words(
        " ".join(page.extract_text() for page in _sheet(learner).pages)
    )
    assert renders == [1, 1]


def test_fresh_sheets_are_limited_per_person(
    app: Flask, make: Factory, learner: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portfolio.export import services

    monkeypatch.setattr(services, "SHEETS_PER_HOUR", 2)
    monkeypatch.setattr(services, "_sheets_made", {})
    assert learner.get(SHEET).status_code == 200
    assert learner.get("/export/elements/pts-b/sheet.pdf").status_code == 200
    _append_to_body(app, make, _published_slug(app), "Changed again.")
    refused = learner.get(SHEET)
    assert refused.status_code == 429
    assert "You have made 2 new revision sheets in the last hour" in refused.get_data(as_text=True)
    assert learner.get("/export/elements/pts-b/sheet.pdf").status_code == 200  # cached
    other = app.test_client()
    login(other, make.user(Role.LEARNER).email)
    assert other.get(SHEET).status_code == 200  # another person's own allowance


def _published_slug(app: Flask) -> str:
    with app.app_context():
        return content.pages_for_element("pts-a")[0].slug
