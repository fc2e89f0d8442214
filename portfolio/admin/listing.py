"""What the users list reads: its page of users as plain rows (the columns a row shows and each
user's roles, in two statements), and the assessors and groups its selects offer as (id, name)
pairs. No User entities: loading 50 users and 40 assessors with their roles cost more than
drawing the page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, select

from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.auth.services import UserFilter
from portfolio.core.paging import PageArg, Paged, paginate
from portfolio.extensions import db


class Option(NamedTuple):
    """An assessor or a group as a select offers it."""

    id: int
    name: str


def people_with_role(role: Role) -> list[Option]:
    """(id, name) of everyone with `role`, by name (as auth.services.users_with_role orders)."""
    rows = db.session.execute(
        select(User.id, User.name).join(UserRole).where(UserRole.role == role).order_by(User.name)
    )
    return [Option(*row) for row in rows]


def groups() -> list[Option]:
    """(id, name) of every learner group, by name."""
    rows = db.session.execute(select(Cohort.id, Cohort.name).order_by(Cohort.name))
    return [Option(*row) for row in rows]


@dataclass(frozen=True)
class UserRow:
    """One row of the users list."""

    id: int
    name: str
    email: str
    active: bool
    assessor_id: int | None
    cohort_id: int | None
    roles: Sequence[Role]

    @property
    def learner(self) -> bool:
        return Role.LEARNER in self.roles

    @property
    def role_labels(self) -> str:
        return ", ".join(role.label for role in self.roles)


def user_page(filters: UserFilter, asked: PageArg) -> Paged[UserRow]:
    """One page of users by name, filtered and counted in SQL, with their roles in one more
    statement: three statements whatever the centre's size."""
    columns = cast(
        Select[Any],
        select(User.id, User.name, User.email, User.active, User.assessor_id, User.cohort_id),
    )
    query = filters.apply(columns).order_by(User.name, User.id)
    found = paginate(query, asked, scalars=False)
    roles: dict[int, list[Role]] = {row.id: [] for row in found.items}
    if roles:
        for user_id, role in db.session.execute(
            select(UserRole.user_id, UserRole.role)
            .where(UserRole.user_id.in_(roles))
            .order_by(UserRole.user_id, UserRole.role)
        ):
            roles[user_id].append(role)
    rows = [
        UserRow(r.id, r.name, r.email, r.active, r.assessor_id, r.cohort_id, roles[r.id])
        for r in found.items
    ]
    return Paged(rows, found.total, found.number, found.size, found.message)
