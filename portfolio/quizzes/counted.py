"""core.paging.paginate with the list's total counted in the page's own statement: one
statement where paginate takes two, for the quiz pages that show several paged lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func

from portfolio.core.paging import PageArg, Paged
from portfolio.extensions import db

TOTAL = "list_total"


def paginate_counted(query: Select[Any], asked: PageArg, size: int) -> Paged[Any]:
    """Page `query` (already filtered and ordered) by OFFSET as paginate does, its rows with
    the whole list's size beside them (count(*) OVER (), counted before the LIMIT), read from
    the page's first row: one statement for a page that exists. A page past the end reads the
    first page again, with the total, and says so: paginate's page and message exactly."""
    counted = query.add_columns(func.count().over().label(TOTAL))
    number, message = asked.number, asked.message
    rows: list[Any] = list(db.session.execute(counted.offset((number - 1) * size).limit(size)))
    if not rows and number > 1:
        rows = list(db.session.execute(counted.limit(size)))
        number, message = 1, f"There is no page {number}: showing the first page."
    total = int(rows[0]._mapping[TOTAL]) if rows else 0
    return Paged(rows, total, number, size, message)
