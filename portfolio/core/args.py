"""Reading typed values from a request's query string, with 400 for a malformed one."""

from __future__ import annotations

from flask import abort, request


def int_arg(name: str) -> int | None:
    """The whole number in ?name=, None when absent or blank; anything else is a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        abort(400)
