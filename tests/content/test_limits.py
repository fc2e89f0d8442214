"""A page's text has a limit, said in the hint and next to the field when it is passed: the text
is kept, nothing is saved, and nothing renders or indexes it first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from portfolio.auth.models import Role
from portfolio.content import services
from portfolio.content.models import Page, PageStatus
from portfolio.content.services import BODY_MAX, PageError, PageFields
from portfolio.extensions import db
from tests.conftest import login
from tests.content.test_authoring_views import NEW_PAGE, PAGE, Tutor, _edit_form, _page
from tests.factories import Factory
from tests.helpers import read_form, send, text

TOO_LONG = "Words and [links](https://example.com/) " * (BODY_MAX // 40 + 1)


@pytest.fixture
def tutor(app: Flask, make: Factory) -> Tutor:
    user = make.user(Role.TUTOR, name="Tess Tutor")
    client = app.test_client()
    login(client, user.email)
    return Tutor(client, user.id, user.name)


@pytest.fixture
def no_text_work(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record any Markdown rendering or indexing: over the limit there must be none."""
    calls: list[str] = []

    def spy(name: str, real: Callable[[str], object]) -> Callable[[str], object]:
        def wrapped(body: str) -> object:
            calls.append(name)
            return real(body)

        return wrapped

    monkeypatch.setattr(services, "markdown_to_text", spy("index", services.markdown_to_text))
    filters = app.jinja_env.filters
    monkeypatch.setitem(filters, "markdown", spy("render", filters["markdown"]))
    return calls


def test_the_hint_says_the_limit(tutor: Tutor) -> None:
    assert f"At most {BODY_MAX:,} characters" in text(tutor.client.get(f"/pages/{PAGE}/edit"))


@pytest.mark.parametrize("action", ["save", "preview"])
def test_an_edit_over_the_limit_is_refused_next_to_the_field_and_kept(
    app: Flask, tutor: Tutor, no_text_work: list[str], action: str
) -> None:
    before = _page(app, PAGE)
    data = {**_edit_form(tutor.client, PAGE), "body": TOO_LONG, "action": action}
    no_text_work.clear()
    response = send(tutor.client, f"/pages/{PAGE}/edit", data)
    assert response.status_code == 422
    form = read_form(response)
    assert f"at most {BODY_MAX:,}" in form.errors["body"]
    assert f"{len(TOO_LONG):,} characters" in form.errors["body"]
    assert form.value("body") == TOO_LONG
    assert "Preview (not saved)" not in text(response)
    assert no_text_work == []
    assert _page(app, PAGE) == before


def test_a_new_page_over_the_limit_is_refused_and_kept(
    app: Flask, tutor: Tutor, no_text_work: list[str]
) -> None:
    response = send(tutor.client, "/pages/new", {**NEW_PAGE, "body": TOO_LONG})
    assert response.status_code == 422
    form = read_form(response)
    assert f"at most {BODY_MAX:,}" in form.errors["body"]
    assert form.value("body") == TOO_LONG
    assert no_text_work == []
    with app.app_context():
        assert db.session.scalar(select(Page).where(Page.slug == NEW_PAGE["slug"])) is None


def test_a_page_of_exactly_the_limit_is_saved(app: Flask, tutor: Tutor) -> None:
    body = ("x" * 99 + "\n") * (BODY_MAX // 100)
    assert len(body) == BODY_MAX
    response = send(
        tutor.client, f"/pages/{PAGE}/edit", {**_edit_form(tutor.client, PAGE), "body": body}
    )
    assert response.status_code == 302
    assert _page(app, PAGE).body == body


def test_the_service_refuses_it_too_before_indexing(
    app: Flask, make: Factory, no_text_work: list[str]
) -> None:
    with app.app_context():
        editor = make.user(Role.TUTOR)
        fields = PageFields(
            title="Long", body=TOO_LONG, status=PageStatus.DRAFT, element_id="pts-b"
        )
        with pytest.raises(PageError, match=f"at most {BODY_MAX:,}"):
            services.create_page(editor, "too-long", fields)
        db.session.rollback()
    assert no_text_work == []
