"""quizzes.counted.paginate_counted gives what core.paging.paginate gives (rows, total, page
number, message), in one statement for a page that exists."""

from __future__ import annotations

import pytest
from sqlalchemy import false, select

from portfolio.core.paging import PageArg, paginate
from portfolio.qualifications.models import Misconception
from portfolio.quizzes.counted import paginate_counted
from tests.support.queries import statements


@pytest.mark.parametrize("number", [1, 2, 3, 4, 50])
@pytest.mark.parametrize("empty", [False, True])
def test_the_same_page_as_paginate(ctx: None, number: int, empty: bool) -> None:
    query = select(Misconception.id, Misconception.text).order_by(Misconception.id)
    if empty:
        query = query.where(false())
    asked = PageArg(number, "asked")
    expected = paginate(query, asked, 7, scalars=False)
    with statements() as seen:
        found = paginate_counted(query, asked, 7)
    assert [tuple(r)[:2] for r in found.items] == [tuple(r) for r in expected.items]
    assert (found.total, found.number, found.size, found.message) == (
        expected.total,
        expected.number,
        expected.size,
        expected.message,
    )
    past_the_end = number > max(1, -(-expected.total // 7))
    assert len(seen) == (2 if past_the_end else 1)
