"""Sign in, sign out and change password through the browser's view of the app."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth import services as accounts
from portfolio.auth.models import User
from portfolio.extensions import db
from tests.conftest import login, post
from tests.factories import Factory
from tests.helpers import read_form, send

WRONG = "That email and password do not match an active account."
NEW_PASSWORD = "a-brand-new-password"


def _signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/auth/login")
        return False
    assert response.status_code == 200
    return True


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this client's session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_sign_in_lands_on_the_home_page(client: FlaskClient, make: Factory) -> None:
    user = make.learner(name="Sam Signin")
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Welcome, Sam Signin" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
def test_failed_sign_in_shows_the_error_by_the_field_and_keeps_the_email(
    client: FlaskClient, make: Factory, who: str
) -> None:
    user = make.learner()
    email = user.email if who == "wrong password" else "nobody@example.org"
    password = "not-the-password" if who == "wrong password" else Factory.PASSWORD
    response = login(client, email, password)
    assert response.status_code == 200
    form = read_form(response)
    # The same message either way: which emails have accounts is not disclosed.
    assert WRONG in form.errors["password"]
    assert form.value("email") == email
    assert form.value("password") in (None, "")  # a password is never sent back
    assert not _signed_in(client)


def test_inactive_user_cannot_sign_in(app: Flask, client: FlaskClient, make: Factory) -> None:
    user = make.learner()
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    response = login(client, user.email)
    assert response.status_code == 200
    assert WRONG in read_form(response).errors["password"]
    assert not _signed_in(client)


def test_deactivating_an_account_ends_its_open_sessions(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    user = make.learner()
    login(client, user.email)
    assert _signed_in(client)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert not _signed_in(client)


@pytest.mark.parametrize(
    ("target", "lands_on"),
    [
        ("//evil.example", "/"),
        ("https://evil.example/x", "/"),
        ("/\\evil", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil", "/"),  # browsers drop the tab and read //evil
        ("/pages/", "/pages/"),  # a path inside the app is followed
    ],
)
def test_next_goes_only_to_a_path_inside_the_app(
    client: FlaskClient, make: Factory, target: str, lands_on: str
) -> None:
    user = make.learner()
    response = post(
        client,
        "/auth/login",
        {"email": user.email, "password": Factory.PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == lands_on
    assert _signed_in(client)
    # Already signed in, the login page redirects at once: the same rule applies.
    again = client.get("/auth/login", query_string={"next": target})
    assert again.headers["Location"] == lands_on


def test_the_login_redirect_carries_next(client: FlaskClient, make: Factory) -> None:
    user = make.learner()
    sent = client.get("/pages/")
    assert sent.headers["Location"] == "/auth/login?next=%2Fpages%2F"
    response = post(
        client,
        sent.headers["Location"],
        {"email": user.email, "password": Factory.PASSWORD},
    )
    assert response.headers["Location"] == "/pages/"


def test_logout_invalidates_the_session_on_the_server(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    user = make.learner()
    login(client, user.email)
    copy = _copy_of(app, client)
    assert _signed_in(copy)  # the copy works while the session lasts

    response = send(client, "/auth/logout", {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not _signed_in(client)
    assert not _signed_in(copy)
    with app.app_context():
        assert accounts.find_user_by_session_token(user.session_token) is None


def test_logout_needs_a_post(client: FlaskClient, make: Factory) -> None:
    user = make.learner()
    login(client, user.email)
    assert client.get("/auth/logout").status_code == 405
    assert _signed_in(client)


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return post(
        client,
        "/auth/password",
        {"current": current, "new": new, "confirm": new if confirm is None else confirm},
        form_url="/auth/password",
    )


def test_wrong_current_password_is_refused_with_a_message(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    user = make.learner()
    login(client, user.email)
    response = _change(client, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 200
    assert "The current password is not right." in read_form(response).errors["current"]
    assert _signed_in(client)
    with app.app_context():
        assert accounts.authenticate(user.email, Factory.PASSWORD) is not None
        assert accounts.authenticate(user.email, NEW_PASSWORD) is None


@pytest.mark.parametrize(
    ("new", "confirm", "field", "message"),
    [
        ("short", "short", "new", "at least 12 characters"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "confirm", "The two passwords differ."),
    ],
)
def test_bad_new_password_is_refused_by_its_field(
    app: Flask, client: FlaskClient, make: Factory, new: str, confirm: str, field: str, message: str
) -> None:
    user = make.learner()
    login(client, user.email)
    response = _change(client, Factory.PASSWORD, new, confirm)
    assert response.status_code == 200
    assert message in read_form(response).errors[field]
    with app.app_context():
        assert accounts.authenticate(user.email, Factory.PASSWORD) is not None


def test_password_change_signs_out_everywhere_and_the_new_one_works(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    user = make.learner()
    login(client, user.email)
    copy = _copy_of(app, client)

    response = _change(client, Factory.PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert not _signed_in(client)
    assert not _signed_in(copy)

    assert login(client, user.email, Factory.PASSWORD).status_code == 200  # refused
    assert not _signed_in(client)
    assert login(client, user.email, NEW_PASSWORD).status_code == 302
    assert _signed_in(client)
    assert not _signed_in(copy)  # the new session is not the old cookie's
