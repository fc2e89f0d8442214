"""Accounts: creating users, checking passwords, ending sessions, who may see whose work, and
learner groups."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from sqlalchemy import ColumnElement, Select, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from portfolio.auth.models import Cohort, Role, User, UserRole, new_session_token
from portfolio.core.paging import PageArg, Paged, paginate
from portfolio.extensions import db

MIN_PASSWORD_LENGTH = 12
PASSWORD_LENGTH_MESSAGE = f"Use at least {MIN_PASSWORD_LENGTH} characters (and at most 200)."
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing")


class AccountError(ValueError):
    """A user or learner group could not be created or changed; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# The signed-in user of every request, with their roles in the same statement (the default
# selectin load would be a second statement on every page). Built once: building it, loader
# option and all, and working out its cache key cost as much again as running it (~160 µs of
# every request at the large bench centre).
_BY_SESSION_TOKEN = (
    select(User).where(User.session_token == bindparam("token")).options(joinedload(User.roles))
)


def find_user_by_session_token(token: str) -> User | None:
    return db.session.scalars(_BY_SESSION_TOKEN, {"token": token}).unique().one_or_none()


def create_user(
    email: str, name: str, password: str, roles: Iterable[Role], assessor: User | None = None
) -> User:
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(f"{email!r} is not a valid email address.") from None
    if not name.strip():
        raise AccountError("A name is required.")
    if find_user_by_email(email) is not None:
        raise AccountError(f"A user with the email {email} already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    user.roles = [UserRole(role=Role(r)) for r in sorted(set(roles))]
    if not user.roles:
        raise AccountError("Choose at least one role.")
    user.assessor = assessor
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of this user on the server (logout everywhere)."""
    user.session_token = new_session_token()
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError("The current password is not right.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The new password must have at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    db.session.commit()


def list_users() -> Sequence[User]:
    return db.session.scalars(select(User).order_by(User.name)).all()


def _fold(text: str) -> str:
    """Lower case without accents: "Siobhán" -> "siobhan"."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


@cache
def _variants() -> dict[str, str]:
    """Each folded letter with every Latin letter (either case) that folds to it, so a
    pattern can find "Siobhán" from "siobhan" in SQL on SQLite and PostgreSQL alike (SQLite's
    lower() knows only ASCII, and neither has accent folding built in)."""
    found: dict[str, set[str]] = {}
    for code in range(0x41, 0x250):
        char = chr(code)
        if char.isalpha():
            folded = _fold(char)
            if len(folded) == 1:
                cases = {char, char.lower(), char.upper()}
                found.setdefault(folded, {folded}).update(c for c in cases if len(c) == 1)
    return {k: "".join(sorted(v)) for k, v in found.items()}


# Straight, typographic (right and left), modifier-letter apostrophes and the grave accent.
_APOSTROPHES = "'\u2019\u02bc\u2018`"


def name_pattern(text: str) -> str:
    """A case- and accent-blind regular expression finding `text` in a name or email:
    apostrophes of any kind are optional ("ONeill" finds "O'Neill" and the other way round,
    typographic or straight)
    and runs of spaces match runs of spaces."""
    variants = _variants()
    parts: list[str] = []
    for char in _fold(" ".join(text.split())):
        if char in _APOSTROPHES:
            continue
        if char == " ":
            parts.append(r"\s+")
        elif char in variants:
            parts.append("[" + re.escape(variants[char]) + "]")
        else:
            parts.append(re.escape(char))
    optional = "[" + re.escape(_APOSTROPHES) + "]?"
    # (?i) is understood by both databases' regular expressions (SQLite's comes from Python).
    return "(?i)" + optional.join(parts)


def name_or_email_matches(text: str) -> ColumnElement[bool]:
    # One match over "name email" rather than one each: on SQLite every match is a call
    # into Python, so this halves the cost of a search over the whole centre.
    return (User.name + " " + User.email).regexp_match(name_pattern(text))


def _has_role(role: Role) -> ColumnElement[bool]:
    return exists().where(UserRole.user_id == User.id, UserRole.role == role)


def find_people(text: str, role: Role | None = None, limit: int = 20) -> Sequence[User]:
    """Up to `limit` people whose name or email contains `text` (as name_pattern reads it),
    by name; a bounded search box instead of a list of everyone."""
    query = select(User).where(name_or_email_matches(text))
    if role is not None:
        query = query.where(_has_role(role))
    return db.session.scalars(query.order_by(User.name, User.id).limit(limit)).all()


def names_of(user_ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these users (a page's worth), in one query."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


# ?assessor= / ?group= values meaning "has none".
NOBODY = "none"


@dataclass(frozen=True)
class UserFilter:
    """The admin users list's filters; empty means "any"."""

    text: str = ""
    role: Role | None = None
    cohort_id: int | str | None = None  # an id, or NOBODY
    assessor_id: int | str | None = None  # an id, or NOBODY
    active: bool | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.text:
            query = query.where(name_or_email_matches(self.text))
        if self.role is not None:
            query = query.where(_has_role(self.role))
        if self.cohort_id == NOBODY:
            query = query.where(User.cohort_id.is_(None), _has_role(Role.LEARNER))
        elif isinstance(self.cohort_id, int):
            query = query.where(User.cohort_id == self.cohort_id)
        if self.assessor_id == NOBODY:
            query = query.where(User.assessor_id.is_(None), _has_role(Role.LEARNER))
        elif isinstance(self.assessor_id, int):
            query = query.where(User.assessor_id == self.assessor_id)
        if self.active is not None:
            query = query.where(User.active.is_(self.active))
        return query


def user_page(filters: UserFilter, asked: PageArg) -> Paged[User]:
    """One page of users by name, filtered and counted in SQL (roles come in one more query)."""
    query = filters.apply(select(User)).order_by(User.name, User.id)
    return paginate(query, asked)


def users_with_role(role: Role) -> Sequence[User]:
    return db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == role).order_by(User.name)
    ).all()


def get_user(user_id: int) -> User | None:
    # With the roles in the same statement: the callers check them straight away.
    return db.session.get(User, user_id, options=[joinedload(User.roles)])


def assign_assessor(learner: User, assessor: User | None) -> None:
    if not learner.has_role(Role.LEARNER):
        raise AccountError(f"{learner.name} is not a learner.")
    if assessor is not None and (not assessor.has_role(Role.ASSESSOR) or assessor.id == learner.id):
        raise AccountError(f"{assessor.name} cannot assess {learner.name}.")
    learner.assessor = assessor
    db.session.commit()


def may_view_learner(viewer: User, learner: User) -> bool:
    """The learner, their assessor, any IQA and any admin may see a learner's portfolio."""
    if viewer.id == learner.id:
        return True
    if viewer.has_role(Role.ADMIN, Role.IQA):
        return True
    return viewer.has_role(Role.ASSESSOR) and learner.assessor_id == viewer.id


def visible_learner(viewer: User, learner_id: int) -> User | None:
    """The learner with this id if `viewer` may open their portfolio; None hides whether they
    exist at all."""
    learner = get_user(learner_id)
    if learner is None or not learner.has_role(Role.LEARNER):
        return None
    return learner if may_view_learner(viewer, learner) else None


def caseload(assessor: User) -> Sequence[User]:
    return db.session.scalars(
        select(User).where(User.assessor_id == assessor.id).order_by(User.name)
    ).all()


def visible_learners(viewer: User) -> Sequence[User]:
    """Learners whose portfolios this user may open."""
    if viewer.has_role(Role.ADMIN, Role.IQA):
        return users_with_role(Role.LEARNER)
    if viewer.has_role(Role.ASSESSOR):
        return caseload(viewer)
    return []


COHORT_NAME_LENGTH = 120


def list_cohorts() -> Sequence[Cohort]:
    return db.session.scalars(select(Cohort).order_by(Cohort.name)).all()


def get_cohort(cohort_id: int) -> Cohort | None:
    return db.session.get(Cohort, cohort_id)


def find_cohort(name: str) -> Cohort | None:
    """The group with this name, ignoring case and outer spaces: "level 2" and "Level 2 " would
    look like one group in every list, so they are one name."""
    return db.session.scalar(select(Cohort).where(func.lower(Cohort.name) == name.strip().lower()))


def create_cohort(name: str) -> Cohort:
    name = name.strip()
    if not name:
        raise AccountError("A group needs a name.")
    if len(name) > COHORT_NAME_LENGTH:
        raise AccountError(f"Use at most {COHORT_NAME_LENGTH} characters.")
    if find_cohort(name) is not None:
        raise AccountError(f"A group called {name} already exists.")
    cohort = Cohort(name=name)
    db.session.add(cohort)
    try:
        db.session.commit()
    except IntegrityError:
        # Two admins adding the same name at once: the unique constraint decides.
        db.session.rollback()
        raise AccountError(f"A group called {name} already exists.") from None
    return cohort


# Counts that features above this one keep by each learner's group (quizzes.group_tally) move
# in the transaction that changes a group: create_app registers each keeper, a context manager
# taken around the change with the users it changes (auth imports no feature).
GroupKeeper = Callable[[Collection[int]], AbstractContextManager[object]]
_GROUP_KEEPERS = "portfolio.group_keepers"


def keep_by_group(app: Flask, keeper: GroupKeeper) -> None:
    """Have `keeper` taken around every change of a user's group in this app."""
    app.extensions.setdefault(_GROUP_KEEPERS, []).append(keeper)


@contextmanager
def regrouping(user_ids: Collection[int]) -> Iterator[None]:
    """Around a change of these users' group or learner role, or their deletion."""
    with ExitStack() as stack:
        for keeper in current_app.extensions.get(_GROUP_KEEPERS, ()):
            stack.enter_context(keeper(user_ids))
        yield


def assign_cohort(learner: User, cohort: Cohort | None) -> None:
    """Put a learner in a group, or in none; a learner is in at most one group."""
    if not learner.has_role(Role.LEARNER):
        raise AccountError(f"{learner.name} is not a learner.")
    with regrouping([learner.id]):
        learner.cohort = cohort
    db.session.commit()


def cohort_page(asked: PageArg) -> Paged[Any]:
    """One page of groups by name, each row (Cohort, learners in it) counted by GROUP BY."""
    learners = (
        select(User.cohort_id, func.count().label("learners"))
        .where(User.cohort_id.is_not(None), _has_role(Role.LEARNER))
        .group_by(User.cohort_id)
        .subquery()
    )
    query = (
        select(Cohort, func.coalesce(learners.c.learners, 0))
        .outerjoin(learners, learners.c.cohort_id == Cohort.id)
        .order_by(Cohort.name, Cohort.id)
    )
    # paginate() is typed for one-column selects; rows come back as (Cohort, learners).
    return paginate(cast(Select[Any], query), asked, scalars=False, total=count_cohorts())


def count_cohorts() -> int:
    return db.session.scalar(select(func.count()).select_from(Cohort)) or 0


def learner_cohorts() -> dict[int, int | None]:
    """Every learner's id with their group's id (None: in no group), in one query."""
    rows = db.session.execute(
        select(User.id, User.cohort_id).join(UserRole).where(UserRole.role == Role.LEARNER)
    )
    return {user_id: cohort_id for user_id, cohort_id in rows}


def cohort_sizes() -> dict[int, int]:
    """How many people each group holds, by group id; empty groups are absent."""
    rows = db.session.execute(
        select(User.cohort_id, func.count())
        .where(User.cohort_id.is_not(None))
        .group_by(User.cohort_id)
    )
    return {cohort_id: count for cohort_id, count in rows if cohort_id is not None}
