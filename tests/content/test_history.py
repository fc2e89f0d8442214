"""Every save is a revision; differences and restores; reading progress; review dates;
search; import and export round trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.content.models import Page, PageStatus
from portfolio.content.spec import parse_page
from portfolio.data import DataSet
from portfolio.extensions import db
from tests.factories import Factory


def _page(slug: str) -> Page:
    page = db.session.scalar(select(Page).where(Page.slug == slug))
    assert page is not None
    return page


def _tutor(make: Factory) -> User:
    return db.session.get(User, make.user(Role.TUTOR).id)  # type: ignore[return-value]


def test_every_save_is_a_revision_and_an_old_one_can_be_restored(ctx: None, make: Factory) -> None:
    tutor = _tutor(make)
    page = _page("pts-b-overview")
    original = page.body
    start = len(page.revisions)
    content.save_page(
        page,
        tutor,
        replace(content.PageFields.from_page(page), body="Line one\nLine two"),
        page.version,
    )
    content.save_page(
        page,
        tutor,
        replace(content.PageFields.from_page(page), body="Line one\nLine 2 changed"),
        page.version,
    )
    numbers = [r.number for r in page.revisions]
    assert numbers == list(range(1, start + 3))
    assert page.revisions[-1].author_id == tutor.id

    diff = content.diff_revisions(page.revisions[-2], page.revisions[-1])
    assert ("removed", "Line two") in [(d.kind, d.text) for d in diff.lines]
    assert ("added", "Line 2 changed") in [(d.kind, d.text) for d in diff.lines]

    content.restore_revision(page, start, tutor, page.version)
    assert page.body == original
    assert page.revisions[-1].number == start + 3
    assert page.revisions[-1].note == f"Restored revision {start}"
    # History is never rewritten: the changed revisions are still there.
    assert content.get_revision(page, start + 2).body == "Line one\nLine 2 changed"  # type: ignore[union-attr]


def test_a_stale_restore_is_refused(ctx: None, make: Factory) -> None:
    tutor = _tutor(make)
    page = _page("pts-b-overview")
    opened = page.version
    content.save_page(page, tutor, replace(content.PageFields.from_page(page), body="New"), opened)
    with pytest.raises(content.StaleEdit):
        content.restore_revision(page, 1, tutor, opened)
    assert page.body == "New"


def test_points_and_misconceptions_of_another_element_are_dropped(ctx: None, make: Factory) -> None:
    tutor = _tutor(make)
    page = _page("pts-b-overview")
    fields = replace(
        content.PageFields.from_page(page),
        marking_points=("pts-a.1", "pts-b.1"),
        misconceptions=("pts-a.m1", "pts-b.m1"),
    )
    content.save_page(page, tutor, fields, page.version)
    assert [p.id for p in page.marking_points] == ["pts-b.1"]
    assert [m.id for m in page.misconceptions] == ["pts-b.m1"]


def test_reading_progress_per_element(ctx: None, make: Factory) -> None:
    learner = db.session.get(User, make.learner().id)
    assert learner is not None
    before = {p.element.id: p for p in content.progress(learner)}
    assert before["pts-b"].read_count == 0 and before["pts-b"].pages
    content.mark_read(learner, _page("pts-b-overview"))
    content.mark_read(learner, _page("pts-b-overview"))  # twice counts once
    after = {p.element.id: p for p in content.progress(learner)}
    assert after["pts-b"].read_count == 1
    assert after["pts-b"].percent == round(100 / len(after["pts-b"].pages))
    assert after["pts-a"].read_count == 0


def test_reading_counts_are_the_progress_counted(ctx: None, make: Factory) -> None:
    """The home page's counts (one statement) say what progress() does, for elements with a
    published page, in the same order; an archived page counts for neither."""
    learner = db.session.get(User, make.learner().id)
    other = db.session.get(User, make.learner().id)
    assert learner is not None and other is not None

    def expected() -> list[content.ElementReading]:
        return [
            content.ElementReading(p.element.title, len(p.pages), p.read_count)
            for p in content.progress(learner)
            if p.pages
        ]

    assert content.reading_counts(learner) == expected()
    content.mark_read(learner, _page("pts-b-overview"))
    content.mark_read(other, _page("pts-a-overview"))  # someone else's reading
    assert content.reading_counts(learner) == expected()
    assert [c.read for c in content.reading_counts(learner)] == [0, 1]
    archived = _page("pts-b-overview")
    archived.status = PageStatus.ARCHIVED
    db.session.commit()
    assert content.reading_counts(learner) == expected()


def test_pages_past_or_near_review(ctx: None, make: Factory) -> None:
    tutor = _tutor(make)
    today = date(2026, 11, 23)
    page = _page("pts-b-overview")
    content.save_page(
        page,
        tutor,
        replace(
            content.PageFields.from_page(page),
            reviewed_on=today - timedelta(days=400),
            review_by=today - timedelta(days=1),
        ),
        page.version,
    )
    due = content.pages_due_for_review(today, within_days=30)
    assert page in due
    assert all(p.review_by is not None and p.review_by <= today + timedelta(days=30) for p in due)
    assert content.pages_due_for_review(today - timedelta(days=3000), within_days=0) == []


def test_review_by_before_reviewed_is_refused(ctx: None, make: Factory) -> None:
    page = _page("pts-b-overview")
    with pytest.raises(content.PageError, match="review-by date"):
        content.save_page(
            page,
            _tutor(make),
            replace(
                content.PageFields.from_page(page),
                reviewed_on=date(2026, 5, 1),
                review_by=date(2026, 4, 1),
            ),
            page.version,
        )


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("short-term right to reject", "pts-a-short-term-right-to-reject"),
        ("subject access request", "pts-a-subject-access-request"),
        ("root cause", "pts-b-root-cause-and-prevention"),
    ],
)
def test_search_finds_published_pages_with_highlighted_snippets(
    ctx: None, query: str, slug: str
) -> None:
    hits = content.search_pages(query)
    assert slug in [h.page.slug for h in hits]
    assert all(h.page.status is PageStatus.PUBLISHED for h in hits)
    assert any("<mark>" in str(h.snippet) for h in hits)


def test_search_never_returns_drafts_and_survives_hostile_queries(ctx: None, make: Factory) -> None:
    draft = _page("pts-a-overview")
    assert draft.status is PageStatus.DRAFT
    unique = draft.search_text.split()[5]
    assert draft.slug not in [h.page.slug for h in content.search_pages(unique)]
    for query in ['" OR 1=1 --', "NEAR(", "*", "<script>alert(1)</script>", "", "title:x"]:
        for hit in content.search_pages(query):
            assert "<script" not in str(hit.snippet)
    tutor = _tutor(make)
    content.save_page(
        draft,
        tutor,
        replace(content.PageFields.from_page(draft), status=PageStatus.PUBLISHED),
        draft.version,
    )
    assert draft.slug in [h.page.slug for h in content.search_pages(unique)]


def test_export_then_import_round_trips(ctx: None, tmp_path: Path, shipped_data: DataSet) -> None:
    assert content.export_pages(tmp_path) == len(shipped_data.pages)
    for spec in shipped_data.pages:
        again = parse_page(tmp_path / f"{spec.slug}.md")
        assert replace(again, path=spec.path) == replace(
            spec,
            marking_points=tuple(sorted(spec.marking_points)),
            misconceptions=tuple(sorted(spec.misconceptions)),
        )
    result = content.import_pages([parse_page(p) for p in sorted(tmp_path.glob("*.md"))])
    assert (result.created, result.updated) == (0, 0)
