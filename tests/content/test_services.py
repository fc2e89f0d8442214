"""Importing, listing and saving revision pages."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.content.models import Page, PageRevision, PageStatus
from portfolio.data import DataSet
from portfolio.extensions import db
from tests.factories import Factory


def _page(slug: str) -> Page:
    db.session.expire_all()
    page = db.session.scalar(select(Page).where(Page.slug == slug))
    assert page is not None
    return page


def _page_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Page))


def _edit(page: Page, tutor: User, body: str, status: PageStatus = PageStatus.DRAFT) -> Page:
    fields = replace(content.PageFields.from_page(page), body=body, status=status)
    return content.save_page(page, tutor, fields, page.version)


def test_learners_get_only_published_pages(ctx: None, shipped_data: DataSet) -> None:
    published = {s.slug for s in shipped_data.pages if s.status == "published"}
    assert "pts-b-overview" in published and "pts-a-overview" not in published
    assert _page("pts-a-overview").status is PageStatus.DRAFT
    assert {p.slug for p in content.list_pages(include_unpublished=False)} == published
    assert content.get_page("pts-a-overview", include_unpublished=False) is None
    assert content.get_page("pts-b-overview", include_unpublished=False) is not None
    assert {p.slug for p in content.list_pages(include_unpublished=True)} == {
        s.slug for s in shipped_data.pages
    }
    assert content.get_page("pts-a-overview", include_unpublished=True) is not None
    assert "pts-a-overview" not in {p.slug for p in content.pages_for_element("pts-a")}


def test_publishing_dates_the_page_and_shows_it_to_learners(ctx: None, make: Factory) -> None:
    tutor = make.user(Role.TUTOR)
    page = _page("pts-a-overview")
    assert page.published_at is None
    _edit(page, tutor, page.body, PageStatus.PUBLISHED)
    page = _page("pts-a-overview")
    assert page.status is PageStatus.PUBLISHED
    assert page.published_at is not None
    assert page.updated_by_id == tutor.id
    assert content.get_page("pts-a-overview", include_unpublished=False) is not None
    assert "pts-a-overview" in {p.slug for p in content.pages_for_element("pts-a")}


def test_a_stale_save_is_refused_and_keeps_the_first_save(ctx: None, make: Factory) -> None:
    first, second = make.user(Role.TUTOR), make.user(Role.TUTOR)
    page = _page("pts-b-overview")
    opened = page.version
    fields = content.PageFields.from_page(page)
    content.save_page(
        page,
        first,
        replace(fields, title="First title", body="First body", status=PageStatus.PUBLISHED),
        opened,
    )
    with pytest.raises(content.StaleEdit) as caught:
        content.save_page(
            page,
            second,
            replace(fields, title="Second title", body="Second body", status=PageStatus.DRAFT),
            opened,
        )
    assert caught.value.current.body == "First body"
    assert caught.value.current.version > opened
    page = _page("pts-b-overview")
    assert (page.title, page.body, page.status) == ("First title", "First body", "published")
    assert page.updated_by_id == first.id


def test_import_is_idempotent_by_slug(ctx: None, shipped_data: DataSet) -> None:
    ids = {p.slug: p.id for p in content.list_pages(include_unpublished=True)}
    shipped = len(shipped_data.pages)
    revisions = db.session.scalar(select(func.count()).select_from(PageRevision))
    result = content.import_pages(shipped_data.pages)
    assert (result.created, result.updated, result.unchanged, result.kept) == (0, 0, shipped, 0)
    assert _page_count() == shipped
    # Nothing changed, so nothing new in any page's history either.
    assert db.session.scalar(select(func.count()).select_from(PageRevision)) == revisions
    assert {p.slug: p.id for p in content.list_pages(include_unpublished=True)} == ids
    spec = next(s for s in shipped_data.pages if s.slug == "pts-a-overview")
    page = _page("pts-a-overview")
    assert page.body == spec.body
    assert [p.id for p in page.marking_points] == sorted(spec.marking_points)


def test_import_adds_a_new_slug_once(ctx: None, shipped_data: DataSet) -> None:
    new = replace(shipped_data.pages[0], slug="extra-page", title="Extra page")
    assert content.import_pages([new]).created == 1
    again = content.import_pages([new])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert _page_count() == len(shipped_data.pages) + 1


def test_import_keeps_a_tutor_edited_page_unless_overwrite(
    ctx: None, make: Factory, shipped_data: DataSet
) -> None:
    tutor = make.user(Role.TUTOR)
    _edit(_page("pts-a-overview"), tutor, "The tutor's own words.", PageStatus.PUBLISHED)

    shipped = len(shipped_data.pages)
    result = content.import_pages(shipped_data.pages)
    assert (result.created, result.updated, result.unchanged, result.kept) == (0, 0, shipped - 1, 1)
    page = _page("pts-a-overview")
    assert page.body == "The tutor's own words."
    assert page.status is PageStatus.PUBLISHED
    assert page.updated_by_id == tutor.id

    result = content.import_pages(shipped_data.pages, overwrite=True)
    assert (result.created, result.updated, result.unchanged, result.kept) == (0, 1, shipped - 1, 0)
    page = _page("pts-a-overview")
    spec = next(s for s in shipped_data.pages if s.slug == "pts-a-overview")
    assert page.body == spec.body
    assert page.status.value == spec.status
    assert page.updated_by_id is None
