"""What the users list reads: its page of users as plain rows (the columns a row shows and each
user's roles), and the assessors and groups its selects offer as (id, name) pairs. No User
entities: loading 50 users and 40 assessors with their roles cost more than drawing the page.

The statements are SQLAlchemy Core on the tables, built once here with bound parameters and
run on the session's connection: an ORM select built on each request cost more Python than
its SQL (40-90 µs a statement, against ~13 µs for a prebuilt one), and the page is asked for
far more often than its filters are used."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, func, select

from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.auth.services import UserFilter
from portfolio.core.paging import PAGE_SIZE, PageArg, Paged, page_number
from portfolio.extensions import db

_users = cast(Table, User.__table__)
_roles = cast(Table, UserRole.__table__)
_cohorts = cast(Table, Cohort.__table__)


class Option(NamedTuple):
    """An assessor or a group as a select offers it."""

    id: int
    name: str


# The users with a role, by name (ties by id, as the name index gives them). An IN on the
# roles rather than a join: with a join SQLite walked every user by the name index and looked
# each one's roles up (0.6 ms at 2,000 learners); this reads the roles once and sorts the few.
_PEOPLE = (
    select(_users.c.id, _users.c.name)
    .where(_users.c.id.in_(select(_roles.c.user_id).where(_roles.c.role == bindparam("role"))))
    .order_by(_users.c.name, _users.c.id)
)
_GROUPS = select(_cohorts.c.id, _cohorts.c.name).order_by(_cohorts.c.name)


def people_with_role(role: Role) -> list[Option]:
    """(id, name) of everyone with `role`, by name (as auth.services.users_with_role orders)."""
    rows = db.session.connection().execute(_PEOPLE, {"role": role})
    return [Option(*row) for row in rows]


def groups() -> list[Option]:
    """(id, name) of every learner group, by name."""
    return [Option(*row) for row in db.session.connection().execute(_GROUPS)]


# What a role reads as in the list (Role.label builds its answer on each call).
_LABELS = {role: role.label for role in Role}


class UserRow(NamedTuple):
    """One row of the users list, with its cells' text worked out here: the template only
    places them (Jinja's per-row lookups and tests were half the cost of drawing the rows)."""

    id: int
    name: str
    email: str
    active: bool
    roles: Sequence[Role]
    learner: bool
    role_labels: str
    assessor: str  # a learner's assessor, "None", or "—" for staff
    group: str  # a learner's group, likewise
    href: str  # the user's own page


class RowText(NamedTuple):
    """What a row's cells need besides the user: the names of the assessors and groups (from
    the lists the page's selects offer) and the link to a user's page, as the text before and
    after the user's id."""

    assessor_names: Mapping[int, str]
    group_names: Mapping[int, str]
    link: tuple[str, str]


_COLUMNS = select(
    _users.c.id,
    _users.c.name,
    _users.c.email,
    _users.c.active,
    _users.c.assessor_id,
    _users.c.cohort_id,
)


def _with_roles(query: Select[Any]) -> Select[Any]:
    """A page of `query` (the users' columns, filtered) by name, each user's row repeated for
    each of their roles in order: the page and its roles in one statement."""
    page = (
        query.order_by(_users.c.name, _users.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return (
        select(page, _roles.c.role)
        .outerjoin(_roles, _roles.c.user_id == page.c.id)
        .order_by(page.c.name, page.c.id, _roles.c.role)
    )


_COUNT_ALL = select(func.count()).select_from(_users)
_PAGE_ALL = _with_roles(_COLUMNS)


def user_page(filters: UserFilter, asked: PageArg, text: RowText) -> Paged[UserRow]:
    """One page of users by name, filtered and counted in SQL, with their roles: two statements
    whatever the centre's size. A page past the end shows the first with a message (as
    core.paging.paginate)."""
    connection = db.session.connection()
    query = filters.apply(_COLUMNS)
    if query is _COLUMNS:  # no filter: the statements built once
        counting, paging = _COUNT_ALL, _PAGE_ALL
    else:
        counting = select(func.count()).select_from(query.subquery())
        paging = _with_roles(query)
    total = connection.execute(counting).scalar_one()
    number, message = page_number(asked, total)
    found = connection.execute(
        paging, {"limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE}
    ).all()
    # A user's rows come together (ordered by name, then id): one UserRow for each user.
    rows = [_row(list(same), text) for _, same in groupby(found, itemgetter(0))]
    return Paged(rows, total, number, PAGE_SIZE, message)


def _row(same: list[Any], text: RowText) -> UserRow:
    """A user's row from their rows of the page's statement (one for each role, or one with
    no role)."""
    user_id, name, email, active, assessor_id, cohort_id, _ = same[0]
    roles = [r[-1] for r in same if r[-1] is not None]
    learner = Role.LEARNER in roles
    if learner:
        assessor = text.assessor_names.get(assessor_id, "None") if assessor_id else "None"
        group = text.group_names.get(cohort_id, "None") if cohort_id else "None"
    else:
        assessor = group = "—"
    return UserRow(
        user_id,
        name,
        email,
        active,
        roles,
        learner,
        ", ".join([_LABELS[role] for role in roles]),
        assessor,
        group,
        f"{text.link[0]}{user_id}{text.link[1]}",
    )
