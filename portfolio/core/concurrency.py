"""Optimistic locking: a save made from an out-of-date copy is refused, never merged blindly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from portfolio.extensions import db


class StaleVersion(Exception):
    """Someone saved first. `current` is what they saved, so the loser's view can show both."""

    def __init__(self, current: Any) -> None:
        super().__init__("changed since it was opened")
        self.current = current


def check_version(row: Any, expected: int, error: type[StaleVersion] = StaleVersion) -> None:
    """The row's `version` must still be the one the form was built from."""
    if row.version != expected:
        raise error(row)


def commit_versioned(
    row: Any,
    error: type[StaleVersion] = StaleVersion,
    after_flush: Callable[[], None] | None = None,
) -> None:
    """Flush, run `after_flush` (work that needs the new row ids), commit. If another
    transaction bumped the row's version meanwhile, roll back and raise `error` carrying the
    row as that transaction saved it."""
    try:
        db.session.flush()
        if after_flush is not None:
            after_flush()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise error(db.session.get(type(row), row.id) or row) from None
