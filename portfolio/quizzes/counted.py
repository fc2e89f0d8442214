"""core.paging.paginate with the list's total counted in the page's own statement: one
statement where paginate takes two, for the quiz pages that show several paged lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func

from portfolio.core.paging import PageArg, Paged
from portfolio.extensions import db

TOTAL = "list_total"


def counted_page(query: Select[Any], number: int, size: int) -> Select[Any]:
    """Page `number` of `query` (already filtered and ordered) by OFFSET, its rows with the
    whole list's size beside them (count(*) OVER (), counted before the LIMIT)."""
    counted = query.add_columns(func.count().over().label(TOTAL))
    return counted.offset((number - 1) * size).limit(size)


def paginate_counted(query: Select[Any], asked: PageArg, size: int) -> Paged[Any]:
    """Page `query` (already filtered and ordered) by OFFSET as paginate does, the total read
    from the page's first row (counted_page): one statement for a page that exists. A page
    past the end reads the first page again, with the total, and says so: paginate's page and
    message exactly."""
    return paginate_pages(lambda number: counted_page(query, number, size), asked, size)


def paginate_pages(page: Callable[[int], Select[Any]], asked: PageArg, size: int) -> Paged[Any]:
    """paginate_counted with the statement of page n given by `page(n)` (a counted_page), for
    a list that remembers its statements rather than building them for every request."""
    number, message = asked.number, asked.message
    rows: list[Any] = list(db.session.execute(page(number)))
    if not rows and number > 1:
        rows = list(db.session.execute(page(1)))
        number, message = 1, f"There is no page {number}: showing the first page."
    total = int(rows[0]._mapping[TOTAL]) if rows else 0
    return Paged(rows, total, number, size, message)
