"""The admin creates users in the browser and builds assessors' caseloads."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role, User
from portfolio.extensions import db
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, read_tables, send, text

TEMPORARY = "temporary-pass-123"


@pytest.fixture
def admin(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(Role.ADMIN).email)
    return client


def _user(app: Flask, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            _ = user.roles  # loaded before the context closes
        return user


def _user_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_learner_with_an_assessor_who_can_then_sign_in(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR, name="Ann Assessor")
    response = send(
        admin,
        "/admin/users",
        {
            "name": "Nina New",
            "email": "Nina.New@Example.org",
            "password": TEMPORARY,
            "roles": ["learner"],
            "assessor": str(assessor.id),
        },
    )
    assert response.status_code == 302
    assert "Created Nina New (nina.new@example.org)." in admin.get("/admin/users").get_data(
        as_text=True
    )
    user = _user(app, "nina.new@example.org")
    assert user is not None
    assert user.name == "Nina New"
    assert user.role_set == {Role.LEARNER}
    assert user.assessor_id == assessor.id

    newcomer = app.test_client()
    assert login(newcomer, "nina.new@example.org", TEMPORARY).status_code == 302
    assert "Welcome, Nina New" in newcomer.get("/").get_data(as_text=True)


def test_admin_creates_a_user_with_several_roles(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    response = send(
        admin,
        "/admin/users",
        {
            "name": "Tess Twohats",
            "email": "tess@example.org",
            "password": TEMPORARY,
            "roles": ["tutor", "assessor"],
            "assessor": "",
        },
    )
    assert response.status_code == 302
    user = _user(app, "tess@example.org")
    assert user is not None
    assert user.role_set == {Role.TUTOR, Role.ASSESSOR}
    assert user.assessor_id is None
    # The new assessor is offered as an assessor straight away.
    form = admin.get("/admin/users").get_data(as_text=True)
    assert f'<option value="{user.id}">Tess Twohats</option>' in form


GOOD = {
    "name": "Bea Bad",
    "email": "bea@example.org",
    "password": TEMPORARY,
    "roles": ["learner"],
    "assessor": "",
}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"password": "too-short"}, "password", "at least 12 characters"),
        ({"roles": []}, "roles", "Choose at least one role."),
        ({"email": "not-an-email"}, "email", "Invalid email address."),
        ({"email": "Taken@Example.org"}, "email", "already exists"),
    ],
    ids=["no-name", "short-password", "no-role", "bad-email", "duplicate-email"],
)
def test_bad_input_shows_the_error_by_the_field_and_keeps_what_was_typed(
    app: Flask,
    admin: FlaskClient,
    make: Factory,
    change: dict[str, object],
    field: str,
    message: str,
) -> None:
    make.user(Role.TUTOR, name="Already Here", email="taken@example.org")
    assessor = make.user(Role.ASSESSOR)
    before = _user_count(app)
    data = {**GOOD, "assessor": str(assessor.id), **change}
    response = send(admin, "/admin/users", data)
    assert response.status_code == 200
    form = read_form(response)
    assert message.lower() in form.errors[field].lower()
    assert "There is a problem" in response.get_data(as_text=True)
    assert form.value("name") == data["name"]
    assert form.value("email") == data["email"]
    assert form.value("password") in (None, "")  # never echoed back
    if field != "roles":
        assert form.all("roles") == ["learner"]
    assert form.all("assessor") == [str(assessor.id)]  # the only learner form on the page
    assert _user_count(app) == before
    if field != "email":
        assert _user(app, "bea@example.org") is None
    else:
        taken = _user(app, "taken@example.org")
        assert taken is not None and taken.name == "Already Here"


def test_admin_assigns_a_learner_and_the_assessor_then_sees_them(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR, name="Ann Assessor")
    learner = make.learner(name="Larry Late")
    make.submission(learner, title="Larry's refund")
    assessor_client = app.test_client()
    login(assessor_client, assessor.email)
    queue = text(assessor_client.get("/assessment/queue"))
    assert "Larry Late" not in queue and "Larry's refund" not in queue
    assert assessor_client.get(f"/assessment/learners/{learner.id}").status_code == 404

    response = send(admin, f"/admin/users/{learner.id}/assessor", {"assessor": str(assessor.id)})
    assert response.status_code == 302
    assert "Larry Late is now assessed by Ann Assessor." in admin.get("/admin/users").get_data(
        as_text=True
    )
    user = _user(app, learner.email)
    assert user is not None and user.assessor_id == assessor.id

    queue = text(assessor_client.get("/assessment/queue"))
    assert "Larry Late" in queue  # in the caseload list
    assert "Larry's refund" in queue  # and the waiting submission is in the queue
    assert f'href="/assessment/learners/{learner.id}"' in queue
    assert assessor_client.get(f"/assessment/learners/{learner.id}").status_code == 200

    # The learner's page shows the assignment selected, the list shows it by name.
    page = read_form(admin.get(f"/admin/users/{learner.id}"))
    assert page.all("assessor") == [str(assessor.id)]
    assert ["Larry Late", learner.email, "Learner", "Ann Assessor", "None"] in [
        row[:5] for row in read_tables(admin.get("/admin/users"))[0]
    ]


def test_assigning_someone_who_is_not_an_assessor_changes_nothing(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR)
    tutor = make.user(Role.TUTOR)
    learner = make.learner(assessor=assessor)
    response = send(admin, f"/admin/users/{learner.id}/assessor", {"assessor": str(tutor.id)})
    assert response.status_code == 400
    user = _user(app, learner.email)
    assert user is not None and user.assessor_id == assessor.id


def test_a_non_learner_cannot_be_given_an_assessor(
    app: Flask, admin: FlaskClient, make: Factory
) -> None:
    assessor = make.user(Role.ASSESSOR)
    tutor = make.user(Role.TUTOR, name="Tom Tutor")
    response = send(admin, f"/admin/users/{tutor.id}/assessor", {"assessor": str(assessor.id)})
    assert response.status_code == 302
    assert "Tom Tutor is not a learner." in admin.get("/admin/users").get_data(as_text=True)
    user = _user(app, tutor.email)
    assert user is not None and user.assessor_id is None
