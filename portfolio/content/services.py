"""Importing, editing and publishing revision pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portfolio.auth.models import User
from portfolio.content.models import Page, PageStatus
from portfolio.content.spec import PageSpec
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import MarkingPoint


class StaleEdit(Exception):
    """Someone else saved the page first; carries their version so nothing is lost."""

    def __init__(self, current: Page) -> None:
        super().__init__("the page changed since it was opened")
        self.current = current


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    kept: int


def _set_status(page: Page, status: PageStatus) -> None:
    page.status = status
    if status is PageStatus.PUBLISHED and page.published_at is None:
        page.published_at = utcnow()


def import_pages(specs: Sequence[PageSpec], overwrite: bool = False) -> ImportResult:
    """Load pages by slug. A page a tutor has edited in the browser is kept unless `overwrite`."""
    created = updated = kept = 0
    for spec in specs:
        page = db.session.scalar(select(Page).where(Page.slug == spec.slug))
        if page is None:
            page = Page(slug=spec.slug)
            db.session.add(page)
            created += 1
        elif page.updated_by_id is not None and not overwrite:
            kept += 1
            continue
        else:
            updated += 1
        page.title, page.element_id, page.body = spec.title, spec.element_id, spec.body
        page.updated_at, page.updated_by_id = utcnow(), None
        page.marking_points = list(
            db.session.scalars(select(MarkingPoint).where(MarkingPoint.id.in_(spec.marking_points)))
        )
        _set_status(page, PageStatus(spec.status))
    db.session.commit()
    return ImportResult(created, updated, kept)


def list_pages(include_unpublished: bool) -> Sequence[Page]:
    query = select(Page).order_by(Page.element_id, Page.title)
    if not include_unpublished:
        query = query.where(Page.status == PageStatus.PUBLISHED)
    return db.session.scalars(query).all()


def get_page(slug: str, include_unpublished: bool) -> Page | None:
    page = db.session.scalar(select(Page).where(Page.slug == slug))
    if page is None or (page.status is not PageStatus.PUBLISHED and not include_unpublished):
        return None
    return page


def save_page(
    page: Page, editor: User, *, title: str, body: str, status: PageStatus, expected_version: int
) -> Page:
    """Save a tutor's edit; refuse it if the page changed since the tutor opened it."""
    if page.version != expected_version:
        raise StaleEdit(page)
    page.title, page.body = title.strip(), body
    page.updated_at, page.updated_by_id = utcnow(), editor.id
    _set_status(page, status)
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit(db.session.get(Page, page.id) or page) from None
    return page


def pages_for_element(element_id: str) -> Sequence[Page]:
    return db.session.scalars(
        select(Page)
        .where(Page.element_id == element_id, Page.status == PageStatus.PUBLISHED)
        .order_by(Page.title)
    ).all()
