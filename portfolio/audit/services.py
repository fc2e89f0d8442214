"""Reading the audit trail with filters, a page at a time, and what is known of its chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, func, select, tuple_
from sqlalchemy.orm import aliased

from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.core.audit import AuditEntry, ChainReport, ChainStatus, check_newest, verify_chain
from portfolio.core.localtime import london_midnight
from portfolio.core.paging import PAGE_SIZE, Paged, count
from portfolio.extensions import db

__all__ = ["PAGE_SIZE", "AuditFilter", "PersonMatch", "list_entries"]

# A page view checks at most this many entries added since the last check: one read of
# bounded size, whatever the trail's length. The rest wait for later views or the command.
CHECK_PER_VIEW = 2000
CHECKED_BY = "the audit page"
# More people than this matching a name search is a prompt to type more, not a filter.
MAX_MATCHES = 20


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor_id: int | None = None
    learner_id: int | None = None
    since: date | None = None  # London days, both ends included
    until: date | None = None
    subject_type: str = ""
    subject_id: str = ""
    # From a name search: entries by (or about) any of these people; () matches nothing.
    actor_ids: tuple[int, ...] | None = None
    learner_ids: tuple[int, ...] | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.actor_id is not None:
            query = query.where(AuditEntry.actor_id == self.actor_id)
        if self.actor_ids is not None:
            query = query.where(AuditEntry.actor_id.in_(self.actor_ids))
        if self.learner_id is not None:
            query = query.where(AuditEntry.learner_id == self.learner_id)
        if self.learner_ids is not None:
            query = query.where(AuditEntry.learner_id.in_(self.learner_ids))
        if self.subject_type:
            query = query.where(AuditEntry.subject_type == self.subject_type)
        if self.subject_id:
            query = query.where(AuditEntry.subject_id == self.subject_id)
        if self.since is not None:
            query = query.where(AuditEntry.at >= london_midnight(self.since))
        if self.until is not None:
            query = query.where(AuditEntry.at < london_midnight(self.until + timedelta(days=1)))
        return query


def _by_time(filters: AuditFilter) -> bool:
    # A date range is read newest first through the (at, id) index: ordered by id instead,
    # an old range means walking back through every newer entry to reach it.
    return filters.since is not None or filters.until is not None


# Who did it and whom it was about, joined by primary key into the page's own query.
_ACTOR, _LEARNER = aliased(User, name="actor"), aliased(User, name="learner")


def entries_query(filters: AuditFilter, after: int | None = None) -> Select[Any]:
    """One page's query (newest first, one row more than a page to know if there is a next),
    also read by tests to EXPLAIN it: the columns the page shows and the names of the actor
    and the learner (None for someone no longer there), not entities."""
    query = filters.apply(
        select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor_id,
            AuditEntry.action,
            AuditEntry.subject_type,
            AuditEntry.subject_id,
            AuditEntry.learner_id,
            AuditEntry.before,
            AuditEntry.after,
            AuditEntry.hash,
            _ACTOR.name.label("actor_name"),
            _LEARNER.name.label("learner_name"),
        )
        # Both joined from the entry by name: with the left side left to be worked out, a
        # fresh worker's first requests at once sometimes found it ambiguous (a user joins to
        # a user through their assessor) and every audit page of that process failed.
        .outerjoin_from(AuditEntry, _ACTOR, _ACTOR.id == AuditEntry.actor_id)
        .outerjoin_from(AuditEntry, _LEARNER, _LEARNER.id == AuditEntry.learner_id)
    )
    if _by_time(filters):
        if after is not None:
            cursor_at = select(AuditEntry.at).where(AuditEntry.id == after).scalar_subquery()
            # The first condition lets the index start at the cursor; the second is exact.
            query = query.where(
                AuditEntry.at <= cursor_at,
                tuple_(AuditEntry.at, AuditEntry.id) < tuple_(cursor_at, after),
            )
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    else:
        if after is not None:
            query = query.where(AuditEntry.id < after)
        query = query.order_by(AuditEntry.id.desc())
    return query.limit(PAGE_SIZE + 1)


def _page(filters: AuditFilter, after: int | None, total: int) -> Paged[Row[Any]]:
    rows = list(db.session.execute(entries_query(filters, after)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Paged(
        rows,
        total,
        next_cursor=rows[-1].id if more and rows else None,
        keyset=True,
        extra={"after": after},
    )


def list_entries(filters: AuditFilter, after: int | None = None) -> Paged[Row[Any]]:
    """Newest first, a page at a time by cursor (?after=<id> of the last entry shown), with
    the filtered total counted in SQL. A cursor past the last entry gives the first page with
    a message. Each row has the entry's columns, actor_name and learner_name."""
    total = count(filters.apply(select(AuditEntry.id)))
    found = _page(filters, after, total)
    if after is not None and not found.items and total:
        message = "There are no entries before that one: showing the newest."
        return replace(_page(filters, None, total), message=message)
    return found


@cache
def _distinct_query(column: Any) -> Select[Any]:
    """Distinct values of an indexed column by skipping through its index (a recursive
    query, one index probe per value): "every action" without reading 100,000 rows. Built
    once: the statement is the same on every view, and building it cost more than running it."""
    seen = select(func.min(column).label("v")).cte("seen", recursive=True)
    following = select(func.min(column)).where(column > seen.c.v).scalar_subquery()
    seen = seen.union_all(select(following).where(seen.c.v.is_not(None)))
    return select(seen.c.v).where(seen.c.v.is_not(None))


def _distinct(column: Any) -> list[str]:
    return [str(v) for v in db.session.scalars(_distinct_query(column))]


def actions() -> list[str]:
    return _distinct(AuditEntry.action)


def subject_types() -> list[str]:
    return _distinct(AuditEntry.subject_type)


@dataclass(frozen=True)
class PersonMatch:
    """Who a name search found: one person (the filter), several (the filter covers them all,
    and the page offers each to pick), none, or too many to list."""

    text: str
    people: Sequence[User] = field(default_factory=tuple)
    too_many: bool = False

    @property
    def chosen(self) -> User | None:
        return self.people[0] if len(self.people) == 1 else None

    @property
    def ids(self) -> tuple[int, ...]:
        return () if self.too_many else tuple(p.id for p in self.people)


def find_person(text: str, chosen_id: int | None, role: Role | None = None) -> PersonMatch:
    """The people a filter's name search means. `chosen_id` (picked from an earlier list)
    wins while the text still names that person."""
    if chosen_id is not None:
        person = accounts.get_user(chosen_id)
        usable = person is not None and (role is None or person.has_role(role))
        if person is not None and usable and text in ("", person.name, person.email):
            return PersonMatch(person.name, (person,))
    found = accounts.find_people(text, role, limit=MAX_MATCHES + 1)
    if len(found) > MAX_MATCHES:
        return PersonMatch(text, tuple(found[:MAX_MATCHES]), too_many=True)
    return PersonMatch(text, tuple(found))


def chain_status() -> ChainStatus:
    """The chain as far as it has been checked, after checking a bounded number of newer
    entries (see CHECK_PER_VIEW); never a walk of the whole trail."""
    return check_newest(CHECK_PER_VIEW, CHECKED_BY)


def entries_for_learner(learner_id: int) -> Sequence[AuditEntry]:
    """A learner's whole trail, oldest first (the portfolio PDF's appendix)."""
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.learner_id == learner_id).order_by(AuditEntry.id)
    ).all()


def check_chain() -> ChainReport:
    """The full check (every entry); for the command line and tests, not for a page view."""
    return verify_chain()


def total_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
