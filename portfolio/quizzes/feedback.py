"""What a learner reads after answering: their answer, the right one, and each misconception
it revealed with why it is wrong and where to revise."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from portfolio.content import services as content
from portfolio.content.models import Page, PageStatus, page_misconception
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Misconception
from portfolio.quizzes.marking import describe, mark, right_answer, why
from portfolio.quizzes.services import ShownQuestion


@dataclass(frozen=True)
class RevealedFeedback:
    misconception: Misconception
    explanation: str
    pages: Sequence[Page]


@dataclass(frozen=True)
class Feedback:
    shown: ShownQuestion
    correct: bool
    your_answer: list[str]
    right_answer: list[str]
    why: list[str]
    revealed: list[RevealedFeedback]


def pages_correcting(misconception: Misconception) -> Sequence[Page]:
    """The published pages that correct this misconception, else its element's pages."""
    return content.pages_for_misconception(misconception.id) or content.pages_for_element(
        misconception.element_id
    )


class PageLink(NamedTuple):
    """A published revision page as a list links to it: no body, no history."""

    id: int
    slug: str
    title: str


def page_links_each(misconceptions: Iterable[tuple[str, str]]) -> dict[str, list[PageLink]]:
    """pages_correcting for many (misconception id, element id) pairs at once, reading only
    each page's id, slug and title: two statements for any number of misconceptions. Those
    falling back on the same element share one list."""
    element_of = dict(misconceptions)
    own: dict[str, list[PageLink]] = {m: [] for m in element_of}
    for misconception_id, page_id, slug, title in db.session.execute(
        select(page_misconception.c.misconception_id, Page.id, Page.slug, Page.title)
        .join(page_misconception)
        .where(
            page_misconception.c.misconception_id.in_(sorted(own)),
            Page.status == PageStatus.PUBLISHED,
        )
        .order_by(Page.title, Page.id)
    ):
        own[misconception_id].append(PageLink(page_id, slug, title))
    # Always asked (for the misconceptions with no page of their own), so the number of
    # statements does not depend on the data.
    elements = {e for m, e in element_of.items() if not own[m]}
    by_element: dict[str, list[PageLink]] = {e: [] for e in elements}
    for page_id, slug, title, element_id in db.session.execute(
        select(Page.id, Page.slug, Page.title, Page.element_id)
        .where(Page.element_id.in_(sorted(elements)), Page.status == PageStatus.PUBLISHED)
        .order_by(Page.title, Page.id)
    ):
        by_element[element_id].append(PageLink(page_id, slug, title))
    return {m: own[m] or by_element[e] for m, e in element_of.items()}


def distinct_lists(
    found: dict[str, list[PageLink]],
) -> tuple[list[list[PageLink]], dict[str, int]]:
    """The distinct non-empty lists of `found` (misconceptions of one element with no page
    of their own share their element's), and each misconception's list's place among them:
    so a page draws each list once, however many misconceptions offer it."""
    places: dict[tuple[int, ...], int] = {}
    lists: list[list[PageLink]] = []
    place_of: dict[str, int] = {}
    for misconception_id, links in found.items():
        if not links:
            continue
        key = tuple(link.id for link in links)
        if key not in places:
            places[key] = len(lists)
            lists.append(links)
        place_of[misconception_id] = places[key]
    return lists, place_of


def feedback_for(shown: ShownQuestion) -> Feedback | None:
    """None until the question is answered."""
    if shown.answer is None:
        return None
    spec, response = shown.spec, shown.answer.response
    marking = mark(spec, response)
    revealed = []
    for r in marking.revealed:
        misconception = qualifications.get_misconception(r.misconception_id)
        if misconception is not None:
            revealed.append(
                RevealedFeedback(misconception, r.explanation, pages_correcting(misconception))
            )
    return Feedback(
        shown=shown,
        correct=shown.answer.is_correct,
        your_answer=describe(spec, response),
        right_answer=describe(spec, right_answer(spec)),
        why=why(spec),
        revealed=revealed,
    )
