"""Lists that grow with the centre, a page at a time: reading the page number or cursor from
the query string (bad values fall back to the first page with a message, never a 500),
paging a query in SQL with its total counted in SQL, and the links to the other pages."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote_plus

from flask import current_app, request, url_for
from sqlalchemy import Select, bindparam, func, select

from portfolio.core.args import BIGGEST_ID
from portfolio.extensions import db

T = TypeVar("T")

PAGE_SIZE = 50
# Far past any real list (50 x 100,000 rows), and well inside 64 bits for OFFSET.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class PageArg:
    """The page asked for, and a message when what was asked could not be honoured."""

    number: int = 1
    message: str = ""


def page_arg(name: str = "page") -> PageArg:
    """?page= as a whole number from 1; blank is page 1; anything else is page 1 with a
    message saying so (a hand-edited or stale link, not an error worth a 400)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return PageArg()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not 1 <= int(raw) <= MAX_PAGE:
        return PageArg(1, f"There is no page “{raw[:20]}”: showing the first page.")
    return PageArg(int(raw))


def cursor_arg(name: str = "after") -> tuple[int | None, str]:
    """A keyset cursor (?after=<id>): a positive 64-bit id, else none with a message."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None, ""
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and 0 < int(raw) <= BIGGEST_ID:
        return int(raw), ""
    return None, "That link to a later page is not valid: showing the first page."


def text_arg(name: str, limit: int = 100) -> str:
    """A free-text filter (a name search), trimmed and cut to `limit` characters."""
    return " ".join(request.args.get(name, "").split())[:limit]


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list: its items, the whole list's size, and where this page sits."""

    items: Sequence[T]
    total: int
    number: int = 1
    size: int = PAGE_SIZE
    message: str = ""
    # Keyset lists: the cursor of the next page (None on the last), the first page's link
    # is the same URL without it.
    next_cursor: int | None = None
    keyset: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None if self.keyset else self.number < self.pages

    @property
    def first_index(self) -> int:
        """1-based position of the first item shown (0 for an empty list)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.size + len(self.items)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and a few around this one; None is a gap."""
        keep = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown = sorted(n for n in keep if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def count(query: Select[Any]) -> int:
    """How many rows `query` would give, counted by the database."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return db.session.scalar(counted) or 0


def page_number(asked: PageArg, total: int, size: int = PAGE_SIZE) -> tuple[int, str]:
    """The page to show of `total` rows, and its message: the first, saying so, when the
    page asked for is past the end."""
    if asked.number > max(1, -(-total // size)):
        return 1, f"There is no page {asked.number}: showing the first page."
    return asked.number, asked.message


def paginate(
    query: Select[Any],
    asked: PageArg,
    size: int = PAGE_SIZE,
    *,
    scalars: bool = True,
    total: int | None = None,
) -> Paged[Any]:
    """Page `query` (already filtered and ordered) by OFFSET: two statements whatever the list's
    size. A page past the end shows the last page with a message."""
    total = count(query) if total is None else total
    number, message = page_number(asked, total, size)
    limited = query.offset((number - 1) * size).limit(size)
    items: Sequence[Any] = (
        db.session.scalars(limited).all() if scalars else db.session.execute(limited).all()
    )
    return Paged(items, total, number, size, message)


def paged(query: Select[Any]) -> Select[Any]:
    """`query` with its OFFSET and LIMIT as bind parameters, for a list statement built once
    (at import) and run with `paginate_bound`: building a select and working out its cache key
    costs about as much as running it (~100 µs of Python each), every request."""
    return query.offset(bindparam("page_offset")).limit(bindparam("page_limit"))


def paginate_bound(
    query: Select[Any],
    params: Mapping[str, Any],
    asked: PageArg,
    total: int,
    size: int = PAGE_SIZE,
) -> Paged[Any]:
    """As `paginate` (rows, not entities), for a statement made by `paged` whose other bind
    parameters are `params`, and a `total` already counted."""
    number, message = page_number(asked, total, size)
    bound = {**params, "page_offset": (number - 1) * size, "page_limit": size}
    return Paged(db.session.execute(query, bound).all(), total, number, size, message)


def keyset(
    query: Select[Any],
    key: Any,
    after: int | None,
    size: int = PAGE_SIZE,
    *,
    total: int | None = None,
    newest_first: bool = True,
    key_of: Callable[[Any], int] = lambda row: int(row.id),
) -> Paged[Any]:
    """Page `query` by an indexed integer key (newest first by default): reading page 1,000 costs
    what page 1 does. One more row than shown is read to know whether a next page exists."""
    if after is not None:
        query = query.where(key < after if newest_first else key > after)
    query = query.order_by(key.desc() if newest_first else key).limit(size + 1)
    rows: list[Any] = list(db.session.scalars(query))
    more = len(rows) > size
    rows = rows[:size]
    return Paged(
        rows,
        total if total is not None else -1,
        size=size,
        next_cursor=key_of(rows[-1]) if more and rows else None,
        keyset=True,
        extra={"after": after},
    )


def counted(total: int, noun: str) -> str:
    """`noun` (a plural phrase: "decisions overdue", "cleared misconceptions") as one item
    reads when `total` is 1: its first plural word made singular ("decision overdue")."""
    if total != 1:
        return noun
    words = noun.split(" ")
    for i, word in enumerate(words):
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            if word.endswith("ies"):
                words[i] = word[:-3] + "y"
            elif word.endswith("zzes"):
                words[i] = word[:-3]  # quizzes
            elif word.endswith(("ches", "shes", "xes", "sses")):
                words[i] = word[:-2]
            else:
                words[i] = word[:-1]
            break
    return " ".join(words)


def page_url(**changes: Any) -> str:
    """This page's URL with the same filters and `changes` applied (None removes an argument)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items()}
    args.update(changes)
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)


# What werkzeug leaves unescaped in a query string (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"
_VARIES = object()


def page_links(*varying: str, **changes: Any) -> Callable[..., str]:
    """page_url for many links on one page that differ only in the `varying` arguments (a
    link per row to the same list filtered by that row's values): the URL is built once and
    each link only encodes its own values, the same string page_url(**varying, **changes)
    gives (arguments in the same order), without a url_for per row."""
    args: dict[str, Any] = {k: v for k, v in request.args.items()}
    if current_app.url_map.sort_parameters or any(k.startswith("_") for k in args):
        # Sorted, or an argument url_for reads itself (_anchor...): as page_url builds it.
        return lambda **values: page_url(**values, **changes)
    args.update({k: _VARIES for k in varying})
    args.update(changes)
    path = url_for(request.endpoint or "", **(request.view_args or {}))
    parts: list[tuple[str, str | None]] = [
        (k, None) if v is _VARIES else (k, f"{_quoted(k)}={_quoted(v)}")
        for k, v in args.items()
        if v is _VARIES or v not in (None, "")
    ]
    keys = {k: _quoted(k) for k in varying}

    def link(**values: Any) -> str:
        query = []
        for key, fixed in parts:
            if fixed is not None:
                query.append(fixed)
            elif (value := values.get(key)) not in (None, ""):
                query.append(f"{keys[key]}={_quoted(value)}")
        return f"{path}?{'&'.join(query)}" if query else path

    return link


def _quoted(value: Any) -> str:
    return quote_plus(str(value), safe=_QUERY_SAFE)
