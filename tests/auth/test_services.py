"""Accounts: creating users, checking passwords, ending sessions, assigning assessors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portfolio.auth import services as accounts
from portfolio.auth.models import Role, User
from portfolio.extensions import db
from tests.factories import Factory

PASSWORD = Factory.PASSWORD


def _count(email: str) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email))


def test_email_is_stored_in_lower_case_and_found_whatever_the_case(ctx: None) -> None:
    user = accounts.create_user("  Mixed.Case@Example.ORG ", " Mo Case ", PASSWORD, [Role.LEARNER])
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "mixed.case@example.org"
    assert user.name == "Mo Case"
    assert accounts.find_user_by_email("MIXED.CASE@example.org ") is user
    assert accounts.authenticate("Mixed.Case@EXAMPLE.org", PASSWORD) is user


def test_duplicate_email_is_refused_whatever_the_case(ctx: None) -> None:
    accounts.create_user("dup@example.org", "First", PASSWORD, [Role.LEARNER])
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create_user("DUP@Example.org", "Second", PASSWORD, [Role.TUTOR])
    db.session.rollback()
    assert _count("dup@example.org") == 1
    assert accounts.find_user_by_email("dup@example.org").name == "First"


def test_short_password_is_refused_and_nothing_is_created(ctx: None) -> None:
    with pytest.raises(accounts.AccountError, match="at least 12 characters"):
        accounts.create_user("short@example.org", "Short", "x" * 11, [Role.LEARNER])
    db.session.rollback()
    assert _count("short@example.org") == 0
    # Twelve is enough.
    accounts.create_user("short@example.org", "Short", "x" * 12, [Role.LEARNER])
    assert _count("short@example.org") == 1


def test_a_user_needs_a_role(ctx: None) -> None:
    with pytest.raises(accounts.AccountError, match="at least one role"):
        accounts.create_user("nobody@example.org", "Nobody", PASSWORD, [])
    db.session.rollback()
    assert _count("nobody@example.org") == 0


def test_password_is_hashed_not_stored(ctx: None, make: Factory) -> None:
    user = make.learner()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")


def test_authenticate(ctx: None, make: Factory) -> None:
    user = make.learner()
    assert accounts.authenticate(user.email, PASSWORD) is user
    assert accounts.authenticate(user.email, PASSWORD + "x") is None
    assert accounts.authenticate("unknown@example.org", PASSWORD) is None


def test_inactive_user_cannot_authenticate(ctx: None, make: Factory) -> None:
    user = make.learner()
    user.active = False
    db.session.commit()
    assert accounts.authenticate(user.email, PASSWORD) is None


def test_end_sessions_rotates_the_session_token(ctx: None, make: Factory) -> None:
    user = make.learner()
    old = user.session_token
    accounts.end_sessions(user)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_token != old
    assert accounts.find_user_by_session_token(old) is None
    assert accounts.find_user_by_session_token(user.session_token) is user


def test_change_password_refuses_a_wrong_current_password(ctx: None, make: Factory) -> None:
    user = make.learner()
    old_hash, old_token = user.password_hash, user.session_token
    with pytest.raises(accounts.AccountError, match="current password is not right"):
        accounts.change_password(user, "not-my-password", "a-brand-new-password")
    db.session.rollback()
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.password_hash, user.session_token) == (old_hash, old_token)
    assert accounts.authenticate(user.email, PASSWORD) is user


def test_change_password_refuses_a_short_new_password(ctx: None, make: Factory) -> None:
    user = make.learner()
    with pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.change_password(user, PASSWORD, "short")
    db.session.rollback()
    assert accounts.authenticate(user.email, PASSWORD) is user


def test_change_password_replaces_it_and_ends_sessions(ctx: None, make: Factory) -> None:
    user = make.learner()
    old_token = user.session_token
    accounts.change_password(user, PASSWORD, "a-brand-new-password")
    db.session.expire_all()
    assert accounts.authenticate(user.email, PASSWORD) is None
    assert accounts.authenticate(user.email, "a-brand-new-password") is user
    assert accounts.find_user_by_session_token(old_token) is None


def test_assign_assessor_builds_the_caseload(ctx: None, make: Factory) -> None:
    assessor = make.user(Role.ASSESSOR)
    learner = make.learner()
    assert accounts.caseload(assessor) == []
    accounts.assign_assessor(learner, assessor)
    db.session.expire_all()
    assert [u.id for u in accounts.caseload(assessor)] == [learner.id]
    accounts.assign_assessor(learner, None)
    assert accounts.caseload(assessor) == []


def test_only_an_assessor_can_assess_and_only_a_learner_is_assessed(
    ctx: None, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR)
    tutor = make.user(Role.TUTOR)
    learner = make.learner()
    with pytest.raises(accounts.AccountError, match="cannot assess"):
        accounts.assign_assessor(learner, tutor)
    with pytest.raises(accounts.AccountError, match="is not a learner"):
        accounts.assign_assessor(tutor, assessor)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(User, learner.id).assessor_id is None
    assert db.session.get(User, tutor.id).assessor_id is None


def test_create_user_refuses_a_blank_name_and_a_malformed_email(ctx: None) -> None:
    with pytest.raises(accounts.AccountError, match="name is required"):
        accounts.create_user("ok@example.org", "   ", "long-enough-password", [Role.TUTOR])
    with pytest.raises(accounts.AccountError, match="not a valid email"):
        accounts.create_user("not an email", "Name", "long-enough-password", [Role.TUTOR])
