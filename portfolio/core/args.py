"""Reading typed values from a request: the query string's, with 400 for a malformed one, and
ids in the path, with 404 for one no database could hold."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map

# The largest id the schema holds: ids are INTEGER columns, 32-bit on PostgreSQL (SQLite's
# hold 64). A larger number reaches the database as "integer out of range" (PostgreSQL) or an
# overflow (SQLite, from 2**63): a 500, not "no such thing".
BIGGEST_ID = 2**31 - 1


def parse_id(raw: str | None) -> int | None:
    """An id written in a query string or form (digits only, 1 to BIGGEST_ID), else None."""
    raw = (raw or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and 0 < int(raw) <= BIGGEST_ID:
        return int(raw)
    return None


class IdConverter(IntegerConverter):
    """Flask's <int:...> bounded to what an id can be: a larger number matches no route, so
    it is a 404 like any other id that names nothing. Registered as "int" (create_app)."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", BIGGEST_ID)
        super().__init__(url_map, *args, **kwargs)


def int_arg(name: str) -> int | None:
    """The whole number in ?name=, None when absent or blank; anything else is a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        abort(400)
    if abs(value) > BIGGEST_ID:
        abort(400)
    return value
