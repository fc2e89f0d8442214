"""Sessions and transport (core/security.py): production sends HSTS and a __Host- session
cookie; a sign-in ends after the idle time and after the longest time whatever the activity,
with a message; the CSRF token is a new one after signing in."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Role
from portfolio.config import load_config
from portfolio.core.security import BEGAN, SEEN
from tests.conftest import login
from tests.factories import Factory


def test_production_settings(tmp_path: Path) -> None:
    production = load_config(
        {"ENV_NAME": "production", "SECRET_KEY": "k" * 40, "INSTANCE_PATH": str(tmp_path)}
    )
    assert production["HSTS"] is True
    assert production["SESSION_COOKIE_NAME"] == "__Host-session"
    assert production["SESSION_COOKIE_SECURE"] is True
    development = load_config({"ENV_NAME": "development", "INSTANCE_PATH": str(tmp_path)})
    assert development["HSTS"] is False and development["SESSION_COOKIE_NAME"] == "session"


def test_production_pages_send_hsts_and_a_host_only_cookie(app: Flask, make: Factory) -> None:
    app.config.update(HSTS=True, SESSION_COOKIE_NAME="__Host-session", SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.get("/auth/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


def test_development_pages_send_no_hsts(app: Flask) -> None:
    assert "Strict-Transport-Security" not in app.test_client().get("/auth/login").headers


def _signed_in(app: Flask, make: Factory) -> FlaskClient:
    client = app.test_client()
    login(client, make.user(Role.TUTOR).email)
    assert client.get("/").status_code == 200
    return client


def _age(client: FlaskClient, began: int, seen: int) -> None:
    now = int(time.time())
    with client.session_transaction() as session:
        session[BEGAN], session[SEEN] = now - began, now - seen


@pytest.mark.parametrize(
    ("began", "seen", "ended"),
    [
        (3600, 60, False),
        (8 * 3600 + 61, 8 * 3600 - 60, False),  # idle just under 8 hours
        (9 * 3600, 8 * 3600 + 1, True),  # idle over 8 hours
        (24 * 3600 + 1, 30, True),  # busy, but signed in over 24 hours ago
    ],
    ids=["recent", "idle-under", "idle-over", "too-long"],
)
def test_a_session_ends_after_the_idle_and_the_longest_time(
    app: Flask, make: Factory, began: int, seen: int, ended: bool
) -> None:
    client = _signed_in(app, make)
    _age(client, began, seen)
    response = client.get("/")
    if not ended:
        assert response.status_code == 200
        return
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out because your session ended" in page
    assert client.get("/").status_code == 302  # and stays signed out


def test_autosave_after_the_session_ended_answers_401(app: Flask, make: Factory) -> None:
    client = _signed_in(app, make)
    _age(client, 25 * 3600, 9 * 3600)
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_the_idle_clock_moves_with_activity(app: Flask, make: Factory) -> None:
    client = _signed_in(app, make)
    _age(client, 3 * 3600, 7 * 3600)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert int(time.time()) - session[SEEN] < 5


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_csrf_token_is_new_after_signing_in(app: Flask, make: Factory) -> None:
    user = make.user(Role.TUTOR)
    client = app.test_client()
    before = _token(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"email": user.email, "password": Factory.PASSWORD, "csrf_token": before},
    )
    assert response.status_code == 302
    after = _token(client.get("/auth/password").get_data(as_text=True))
    assert after != before
    # The token from before signing in no longer works for a signed-in form.
    refused = client.post("/auth/logout", data={"csrf_token": before})
    assert refused.status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": after}).status_code == 302
