"""What a learner reads after answering: their answer, the right one, and each misconception
it revealed with why it is wrong and where to revise."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import CompoundSelect, bindparam, false, select, true, union_all

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
    each page's id, slug and title: one statement for any number of misconceptions. Those
    falling back on the same element share one list."""
    element_of = dict(misconceptions)
    own: dict[str, list[PageLink]] = {m: [] for m in element_of}
    by_element: dict[str, list[PageLink]] = {e: [] for e in element_of.values()}
    found = db.session.execute(
        _page_links_statement(), {"ids": sorted(own), "elements": sorted(by_element)}
    )
    for key, is_own, page_id, slug, title in found:
        (own if is_own else by_element)[key].append(PageLink(page_id, slug, title))
    return {m: own[m] or by_element[e] for m, e in element_of.items()}


@cache
def _page_links_statement() -> CompoundSelect[Any]:
    """The published pages of each misconception (keyed by its id, own) and of each element
    (keyed by the element's id), by title: every element's pages are read, whether or not its
    misconceptions have pages of their own, so one statement answers both and their number
    never depends on the data. Built once, the ids bound at each run."""
    published = Page.status == PageStatus.PUBLISHED
    return union_all(
        select(page_misconception.c.misconception_id, true(), Page.id, Page.slug, Page.title)
        .join(page_misconception)
        .where(page_misconception.c.misconception_id.in_(bindparam("ids", expanding=True)))
        .where(published),
        select(Page.element_id, false(), Page.id, Page.slug, Page.title).where(
            Page.element_id.in_(bindparam("elements", expanding=True)), published
        ),
    ).order_by(Page.title, Page.id)


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
