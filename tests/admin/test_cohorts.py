"""The admin creates learner groups and puts each learner in one from the users page."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portfolio.auth.models import Cohort, Role, User
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text


@pytest.fixture
def admin(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(Role.ADMIN).email)
    return client


def _names(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Cohort.name).order_by(Cohort.name)))


def _cohort_of(app: Flask, user_id: int) -> int | None:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user.cohort_id


def test_the_users_page_links_the_groups_page(admin: FlaskClient) -> None:
    assert 'href="/admin/cohorts"' in admin.get("/admin/users").get_data(as_text=True)


def test_admin_creates_a_group_and_sees_it_listed(app: Flask, admin: FlaskClient) -> None:
    response = send(admin, "/admin/cohorts", {"name": "Level 2 — September 2026 day"})
    assert response.status_code == 302
    page = text(admin.get("/admin/cohorts"))
    assert "Created the group Level 2 — September 2026 day." in page
    assert '<th scope="row">Level 2 — September 2026 day</th><td>0</td>' in page
    assert _names(app) == ["Level 2 — September 2026 day"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "This field is required."), ("day group", "A group called day group already exists.")],
    ids=["blank", "duplicate"],
)
def test_a_bad_name_shows_the_error_by_the_field_and_keeps_it(
    app: Flask, admin: FlaskClient, make: Factory, name: str, message: str
) -> None:
    make.cohort("Day group")
    response = send(admin, "/admin/cohorts", {"name": name})
    assert response.status_code == 200
    form = read_form(response)
    assert form.errors["name"] == f"Error: {message}"
    assert form.value("name") == name
    assert "There is a problem" in response.get_data(as_text=True)
    assert _names(app) == ["Day group"]


def test_admin_puts_a_learner_in_a_group_and_takes_them_out(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    learner = make.learner(name="Lena Learner")
    group = make.cohort("Evening group")
    own_page = f"/admin/users/{learner.id}"
    page = read_form(admin.get(own_page))
    assert page.all("cohort") == [""]  # in no group yet

    response = send(admin, f"/admin/users/{learner.id}/cohort", {"cohort": str(group.id)})
    assert response.status_code == 302
    users = admin.get("/admin/users")
    assert "Lena Learner is now in Evening group." in users.get_data(as_text=True)
    assert "<td>Evening group</td>" in users.get_data(as_text=True)
    assert read_form(admin.get(own_page)).all("cohort") == [str(group.id)]
    assert _cohort_of(app, learner.id) == group.id
    assert "<td>1</td>" in admin.get("/admin/cohorts").get_data(as_text=True)

    send(admin, f"/admin/users/{learner.id}/cohort", {"cohort": ""})
    assert "Lena Learner is now in no group." in admin.get("/admin/users").get_data(as_text=True)
    assert _cohort_of(app, learner.id) is None


def test_only_learners_get_a_group_select(admin: FlaskClient, make: Factory) -> None:
    # The select is on the user's own page (a select on each row of the list grew with the
    # number of groups times 50 rows); the list links each learner there.
    learner = make.learner()
    tutor = make.user(Role.TUTOR)
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{learner.id}"' in listed
    assert f'id="cohort-{learner.id}"' in admin.get(f"/admin/users/{learner.id}").text
    assert f'id="cohort-{tutor.id}"' not in admin.get(f"/admin/users/{tutor.id}").text


def test_an_unknown_group_changes_nothing(app: Flask, admin: FlaskClient, make: Factory) -> None:
    learner = make.learner()
    group = make.cohort("Day", learner)
    response = send(admin, f"/admin/users/{learner.id}/cohort", {"cohort": "999999"})
    assert response.status_code == 400
    assert _cohort_of(app, learner.id) == group.id


def test_a_non_learner_is_not_put_in_a_group(app: Flask, admin: FlaskClient, make: Factory) -> None:
    tutor = make.user(Role.TUTOR, name="Tom Tutor")
    group = make.cohort("Day")
    response = send(admin, f"/admin/users/{tutor.id}/cohort", {"cohort": str(group.id)})
    assert response.status_code == 302
    assert "Tom Tutor is not a learner." in admin.get("/admin/users").get_data(as_text=True)
    assert _cohort_of(app, tutor.id) is None


def test_an_unknown_user_is_not_found(admin: FlaskClient) -> None:
    assert send(admin, "/admin/users/999999/cohort", {"cohort": ""}).status_code == 404
