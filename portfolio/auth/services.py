"""Accounts: creating users, checking passwords, ending sessions, who may see whose work, and
learner groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from portfolio.auth.models import Cohort, Role, User, UserRole, new_session_token
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


def find_user_by_session_token(token: str) -> User | None:
    return db.session.scalar(select(User).where(User.session_token == token))


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


def users_with_role(role: Role) -> Sequence[User]:
    return db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == role).order_by(User.name)
    ).all()


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


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


def assign_cohort(learner: User, cohort: Cohort | None) -> None:
    """Put a learner in a group, or in none; a learner is in at most one group."""
    if not learner.has_role(Role.LEARNER):
        raise AccountError(f"{learner.name} is not a learner.")
    learner.cohort = cohort
    db.session.commit()


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
