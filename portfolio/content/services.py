"""Writing, publishing, revising, importing and reading revision pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from portfolio.auth.models import User
from portfolio.content import search
from portfolio.content.diff import Diff, diff_text
from portfolio.content.models import (
    Page,
    PageRead,
    PageRevision,
    PageStatus,
    page_misconception,
)
from portfolio.content.spec import PageSpec
from portfolio.core.concurrency import StaleVersion, check_version, commit_versioned
from portfolio.core.markdown import markdown_to_text
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element, MarkingPoint, Misconception, Unit

# The most a page's text may hold: about 15,000 words, far beyond any revision page, and small
# enough that rendering, indexing and comparing it stays quick (bench/text_work.py).
BODY_MAX = 100_000


def body_too_long(body: str) -> str | None:
    """Why this page text is refused, or None: said the same way by the form and the service."""
    if len(body) <= BODY_MAX:
        return None
    return (
        f"The page text is {len(body):,} characters long; a page can hold at most "
        f"{BODY_MAX:,}. Nothing was saved: split it into two pages and save again."
    )


class StaleEdit(StaleVersion):
    """Someone else saved the page first; carries their version so nothing is lost."""


class PageError(ValueError):
    """A page could not be created or changed; the message says why."""


@dataclass(frozen=True)
class PageFields:
    """Everything a tutor sets on a page, from the editor or from a file."""

    title: str
    body: str
    status: PageStatus
    element_id: str
    marking_points: tuple[str, ...] = ()
    misconceptions: tuple[str, ...] = ()
    legislation: tuple[str, ...] = ()
    reviewed_on: date | None = None
    review_by: date | None = None

    def __post_init__(self) -> None:
        # Ids are sets in meaning: sorted, so equal pages compare equal and imports are idempotent.
        object.__setattr__(self, "marking_points", tuple(sorted(set(self.marking_points))))
        object.__setattr__(self, "misconceptions", tuple(sorted(set(self.misconceptions))))

    @classmethod
    def from_spec(cls, spec: PageSpec) -> PageFields:
        return cls(
            title=spec.title,
            body=spec.body,
            status=PageStatus(spec.status),
            element_id=spec.element_id,
            marking_points=spec.marking_points,
            misconceptions=spec.misconceptions,
            legislation=spec.legislation,
            reviewed_on=spec.reviewed,
            review_by=spec.review_by,
        )

    @classmethod
    def from_page(cls, page: Page) -> PageFields:
        return cls(
            title=page.title,
            body=page.body,
            status=page.status,
            element_id=page.element_id,
            marking_points=tuple(p.id for p in page.marking_points),
            misconceptions=tuple(m.id for m in page.misconceptions),
            legislation=tuple(page.legislation),
            reviewed_on=page.reviewed_on,
            review_by=page.review_by,
        )

    @classmethod
    def from_revision(cls, revision: PageRevision) -> PageFields:
        meta = revision.meta
        return cls(
            title=revision.title,
            body=revision.body,
            status=revision.status,
            element_id=meta.get("element_id", revision.page.element_id),
            marking_points=tuple(meta.get("marking_points", ())),
            misconceptions=tuple(meta.get("misconceptions", ())),
            legislation=tuple(meta.get("legislation", ())),
            reviewed_on=_date(meta.get("reviewed_on")),
            review_by=_date(meta.get("review_by")),
        )

    def meta(self) -> dict[str, object]:
        return {
            "element_id": self.element_id,
            "marking_points": list(self.marking_points),
            "misconceptions": list(self.misconceptions),
            "legislation": list(self.legislation),
            "reviewed_on": self.reviewed_on.isoformat() if self.reviewed_on else None,
            "review_by": self.review_by.isoformat() if self.review_by else None,
        }


def _date(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _apply(page: Page, fields: PageFields) -> None:
    too_long = body_too_long(fields.body)
    if too_long:  # before any rendering: an import or a script is held to the form's limit
        raise PageError(too_long)
    element = qualifications.get_element(fields.element_id)
    if element is None:
        raise PageError(f"Unknown element {fields.element_id!r}.")
    if fields.review_by and fields.reviewed_on and fields.review_by < fields.reviewed_on:
        raise PageError("The review-by date cannot be before the last review.")
    page.title, page.body, page.element_id = fields.title.strip(), fields.body, element.id
    page.search_text = markdown_to_text(fields.body)
    page.legislation = [c.strip() for c in fields.legislation if c.strip()]
    page.reviewed_on, page.review_by = fields.reviewed_on, fields.review_by
    # Only points and misconceptions of the page's own element can be named.
    page.marking_points = list(
        db.session.scalars(
            select(MarkingPoint).where(
                MarkingPoint.id.in_(fields.marking_points), MarkingPoint.element_id == element.id
            )
        )
    )
    page.misconceptions = list(
        db.session.scalars(
            select(Misconception).where(
                Misconception.id.in_(fields.misconceptions), Misconception.element_id == element.id
            )
        )
    )
    page.status = fields.status
    if fields.status is PageStatus.PUBLISHED and page.published_at is None:
        page.published_at = utcnow()


def _record_revision(page: Page, fields: PageFields, author: User | None, note: str) -> None:
    number = (
        db.session.scalar(
            select(func.max(PageRevision.number)).where(PageRevision.page_id == page.id)
        )
        or 0
    ) + 1
    page.revisions.append(
        PageRevision(
            number=number,
            title=page.title,
            body=page.body,
            status=page.status,
            meta=fields.meta(),
            author_id=author.id if author else None,
            note=note,
        )
    )


def _save(page: Page, fields: PageFields, author: User | None, note: str) -> None:
    """Apply the fields and record the revision without flushing: the page's row is written
    once, at the caller's commit, so its version moves by exactly one per save."""
    with db.session.no_autoflush:
        _apply(page, fields)
        page.updated_at = utcnow()
        page.updated_by_id = author.id if author else None
        _record_revision(page, fields, author, note)
    db.session.add(page)


def create_page(editor: User, slug: str, fields: PageFields) -> Page:
    if db.session.scalar(select(Page.id).where(Page.slug == slug)) is not None:
        raise PageError(f"The address {slug!r} is already used by another page.")
    page = Page(slug=slug)
    _save(page, fields, editor, "Created")
    try:
        commit_versioned(page, StaleEdit, after_flush=lambda: search.index_page(page))
    except IntegrityError:
        # Another tutor took the same address between the check above and this commit.
        db.session.rollback()
        raise PageError(f"The address {slug!r} is already used by another page.") from None
    return page


def save_page(
    page: Page, editor: User, fields: PageFields, expected_version: int, note: str = ""
) -> Page:
    """Save a tutor's edit as a new revision; refuse it if the page changed since it was opened."""
    check_version(page, expected_version, StaleEdit)
    _save(page, fields, editor, note)
    commit_versioned(page, StaleEdit, after_flush=lambda: search.index_page(page))
    return page


def restore_revision(page: Page, number: int, editor: User, expected_version: int) -> Page:
    """Make an old revision current again, as a new revision: history is never rewritten."""
    revision = get_revision(page, number)
    if revision is None:
        raise PageError(f"There is no revision {number}.")
    return save_page(
        page,
        editor,
        PageFields.from_revision(revision),
        expected_version,
        note=f"Restored revision {number}",
    )


def get_revision(page: Page, number: int) -> PageRevision | None:
    return db.session.scalar(
        select(PageRevision).where(PageRevision.page_id == page.id, PageRevision.number == number)
    )


def diff_revisions(old: PageRevision, new: PageRevision) -> Diff:
    return diff_text(f"# {old.title}\n\n{old.body}", f"# {new.title}\n\n{new.body}")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    kept: int


def import_pages(specs: Sequence[PageSpec], overwrite: bool = False) -> ImportResult:
    """Load pages by slug, idempotently. A page whose latest revision is a tutor's edit is kept
    unless `overwrite`: a reload never silently throws away work done in the browser."""
    created = updated = unchanged = kept = 0
    for spec in specs:
        fields = PageFields.from_spec(spec)
        page = db.session.scalar(select(Page).where(Page.slug == spec.slug))
        if page is None:
            page = Page(slug=spec.slug)
            _save(page, fields, None, "Imported")
            created += 1
        elif PageFields.from_page(page) == fields and page.revisions and page.search_text:
            unchanged += 1
        elif page.updated_by_id is not None and not overwrite:
            kept += 1
        else:
            _save(
                page,
                fields,
                None,
                "Imported" + (" over a tutor's edit" if page.updated_by_id else ""),
            )
            updated += 1
        db.session.flush()
        search.index_page(page)
    db.session.commit()
    return ImportResult(created, updated, unchanged, kept)


def export_pages(directory: Path) -> int:
    """Write every page as Markdown with front matter, the format `import_pages` reads."""
    directory.mkdir(parents=True, exist_ok=True)
    pages = db.session.scalars(select(Page).order_by(Page.slug)).all()
    for page in pages:
        front: dict[str, object] = {
            "slug": page.slug,
            "title": page.title,
            "element": page.element_id,
            "status": page.status.value,
            "marking_points": [p.id for p in page.marking_points],
            "misconceptions": [m.id for m in page.misconceptions],
            "legislation": list(page.legislation),
            "reviewed": page.reviewed_on,
            "review_by": page.review_by,
        }
        front = {k: v for k, v in front.items() if v not in (None, [])}
        text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n"
        (directory / f"{page.slug}.md").write_text(
            text + page.body.strip() + "\n", encoding="utf-8"
        )
    return len(pages)


def list_pages(include_unpublished: bool) -> Sequence[Page]:
    """Every page by element and title, without their bodies and search text: the lists (and
    the learner's reading progress on their home page) show neither."""
    query = (
        select(Page)
        .order_by(Page.element_id, Page.title)
        .options(defer(Page.body), defer(Page.search_text))
    )
    if not include_unpublished:
        query = query.where(Page.status == PageStatus.PUBLISHED)
    return db.session.scalars(query).all()


def get_page(slug: str, include_unpublished: bool) -> Page | None:
    page = db.session.scalar(select(Page).where(Page.slug == slug))
    if page is None or (page.status is not PageStatus.PUBLISHED and not include_unpublished):
        return None
    return page


def get_published_page_by_id(page_id: int) -> Page | None:
    page = db.session.get(Page, page_id)
    return page if page is not None and page.status is PageStatus.PUBLISHED else None


def pages_for_element(element_id: str) -> Sequence[Page]:
    return db.session.scalars(
        select(Page)
        .where(Page.element_id == element_id, Page.status == PageStatus.PUBLISHED)
        .order_by(Page.title)
    ).all()


def pages_for_misconception(misconception_id: str) -> Sequence[Page]:
    """Published pages that say they correct this misconception."""
    return db.session.scalars(
        select(Page)
        .join(page_misconception)
        .where(
            page_misconception.c.misconception_id == misconception_id,
            Page.status == PageStatus.PUBLISHED,
        )
        .order_by(Page.title)
    ).all()


def pages_correcting(misconceptions: Sequence[Misconception]) -> dict[str, list[Page]]:
    """For each misconception, the published pages that say they correct it, else its
    element's published pages (by title): two statements for any number of misconceptions."""
    own: dict[str, list[Page]] = {m.id: [] for m in misconceptions}
    for misconception_id, page in db.session.execute(
        select(page_misconception.c.misconception_id, Page)
        .join(page_misconception)
        .where(
            page_misconception.c.misconception_id.in_(sorted(own)),
            Page.status == PageStatus.PUBLISHED,
        )
        .order_by(Page.title, Page.id)
    ):
        own[misconception_id].append(page)
    # Always asked (for the misconceptions with no page of their own), so the number of
    # statements does not depend on the data.
    elements = {m.element_id for m in misconceptions if not own[m.id]}
    by_element: dict[str, list[Page]] = {e: [] for e in elements}
    for page in db.session.scalars(
        select(Page)
        .where(Page.element_id.in_(sorted(elements)), Page.status == PageStatus.PUBLISHED)
        .order_by(Page.title, Page.id)
    ):
        by_element[page.element_id].append(page)
    return {m.id: own[m.id] or by_element[m.element_id] for m in misconceptions}


def pages_due_for_review(today: date, within_days: int = 30) -> Sequence[Page]:
    """Pages not archived whose review-by date has passed or falls within `within_days`."""
    return db.session.scalars(
        select(Page)
        .where(
            Page.status != PageStatus.ARCHIVED,
            Page.review_by.is_not(None),
            Page.review_by <= today + timedelta(days=within_days),
        )
        .order_by(Page.review_by)
    ).all()


def mark_read(user: User, page: Page) -> None:
    read = db.session.get(PageRead, (user.id, page.id))
    if read is None:
        db.session.add(PageRead(user_id=user.id, page_id=page.id))
    else:
        read.read_at = utcnow()
    db.session.commit()


def read_at(user: User, page: Page) -> datetime | None:
    """When this learner last marked the page as read, if ever."""
    read = db.session.get(PageRead, (user.id, page.id))
    return read.read_at if read is not None else None


def read_page_ids(user: User) -> set[int]:
    return set(db.session.scalars(select(PageRead.page_id).where(PageRead.user_id == user.id)))


@dataclass(frozen=True)
class ElementProgress:
    element: Element
    pages: tuple[Page, ...]
    read: frozenset[int]

    @property
    def read_count(self) -> int:
        return sum(p.id in self.read for p in self.pages)

    @property
    def percent(self) -> int:
        return round(100 * self.read_count / len(self.pages)) if self.pages else 0


def progress(user: User) -> list[ElementProgress]:
    """Per element, its published pages and which of them this learner has read."""
    read = frozenset(read_page_ids(user))
    pages = list_pages(include_unpublished=False)
    return [
        ElementProgress(element, tuple(p for p in pages if p.element_id == element.id), read)
        for element in qualifications.list_elements()
    ]


@dataclass(frozen=True)
class ElementReading:
    """progress() for the learner's home page: an element with published pages, counted."""

    title: str
    pages: int
    read: int


def reading_counts(user: User) -> list[ElementReading]:
    """Per element with a published page, in the qualification's order, how many it has and
    how many of them this learner has read: counted in one statement, where progress() reads
    the elements, the pages and the reads (three, with every page's row)."""
    return [
        ElementReading(title, int(pages), int(read))
        for title, pages, read in db.session.execute(_reading_counts(), {"user_id": user.id})
    ]


@cache
def _reading_counts() -> Select[str, int, int]:
    read = and_(PageRead.page_id == Page.id, PageRead.user_id == bindparam("user_id"))
    return (
        select(Element.title, func.count(Page.id), func.count(PageRead.page_id))
        .join(Unit, Unit.id == Element.unit_id)
        .join(Page, and_(Page.element_id == Element.id, Page.status == PageStatus.PUBLISHED))
        .outerjoin(PageRead, read)
        .group_by(Element.id, Element.title, Unit.position, Element.position)
        .order_by(Unit.position, Element.position)
    )


search_pages = search.search_pages
