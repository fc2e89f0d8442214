"""Users, their roles, which assessor a learner is assigned to, and learner groups."""

from __future__ import annotations

import enum
import secrets

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.db import Base, CreatedMixin, str_enum


class Role(enum.StrEnum):
    LEARNER = "learner"
    ASSESSOR = "assessor"
    IQA = "iqa"
    TUTOR = "tutor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"iqa": "Internal quality assurer"}.get(self.value, self.value.capitalize())


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Cohort(CreatedMixin, Base):
    """A learner group, such as one intake, so tutors can compare groups."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class User(UserMixin, CreatedMixin, Base):  # type: ignore[misc]
    # "user" is reserved in PostgreSQL.
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("assessor_id <> id", name="not_own_assessor"),
        # Lists of people by name (admin users, cohort tracking, the filters' choices) page in
        # this order; without the index each page sorts every user.
        Index("ix_user_account_name_id", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Flask-Login keeps this in the session cookie instead of the user id. Rotating it
    # at logout or password change makes every copy of an old cookie useless.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Deleting a group leaves its learners ungrouped rather than blocking the delete.
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="SET NULL"), index=True
    )

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )
    assessor: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[assessor_id])
    cohort: Mapped[Cohort | None] = relationship()

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_set(self) -> set[Role]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")
