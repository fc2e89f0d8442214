"""The audit view: admins and IQAs read and filter the trail and see whether it is intact."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from portfolio.auth.models import Role
from portfolio.core import audit
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory


def _seed(app: Flask, make: Factory) -> tuple[int, int]:
    learner = make.learner(name="Lily Learner")
    assessor = make.user(Role.ASSESSOR, name="Alan Assessor")
    with app.app_context():
        audit.record(
            "submission.created", "submission", 1, actor_id=learner.id, learner_id=learner.id
        )
        audit.record(
            "decision.recorded",
            "decision",
            2,
            actor_id=assessor.id,
            learner_id=learner.id,
            after={"outcome": "referred"},
        )
        db.session.commit()
    return learner.id, assessor.id


def test_iqa_filters_the_trail(app: Flask, client: FlaskClient, make: Factory) -> None:
    _learner_id, assessor_id = _seed(app, make)
    iqa = make.user(Role.IQA)
    login(client, iqa.email)
    page = client.get("/audit/").get_data(as_text=True)
    assert "Chain intact:" in page and "all 2 entries" in page
    assert "submission.created" in page and "decision.recorded" in page
    only = client.get(f"/audit/?actor={assessor_id}").get_data(as_text=True)
    assert "decision.recorded" in only and "submission.created" not in only.split("<tbody>")[1]
    by_action = client.get("/audit/?action=submission.created").get_data(as_text=True)
    assert "1 entry" in by_action


def test_bad_filters_are_shown_next_to_the_field(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    _seed(app, make)
    admin = make.user(Role.ADMIN)
    login(client, admin.email)
    response = client.get("/audit/?since=2026-12-01&until=2026-11-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)
    response = client.get("/audit/?actor=99999")
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_a_broken_chain_is_shown(app: Flask, client: FlaskClient, make: Factory) -> None:
    _seed(app, make)
    with app.app_context():
        db.session.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = 1"))
        db.session.commit()
    admin = make.user(Role.ADMIN)
    login(client, admin.email)
    page = client.get("/audit/").get_data(as_text=True)
    assert "The chain is broken at entry 1" in page


def test_learners_assessors_and_tutors_may_not_read_it(client: FlaskClient, make: Factory) -> None:
    for role in (Role.LEARNER, Role.ASSESSOR, Role.TUTOR):
        user = make.user(role)
        login(client, user.email)
        assert client.get("/audit/").status_code == 403
        client.post("/auth/logout")
