"""Error pages are friendly; a server error never shows a stack trace; headers are strict."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from portfolio.auth.models import Role
from tests.conftest import login
from tests.factories import Factory


def test_server_error_page_has_no_stack_trace(app: Flask, make: Factory) -> None:
    @app.get("/boom-for-test")
    def boom() -> str:
        raise RuntimeError("secret internals in /work/main/portfolio")

    client = app.test_client()
    response = client.get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in body
    assert "Traceback" not in body and "secret internals" not in body and "/work/" not in body


def test_not_found_page(client: FlaskClient, make: Factory) -> None:
    user = make.user(Role.LEARNER)
    login(client, user.email)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient, make: Factory) -> None:
    user = make.user(Role.LEARNER)
    response = login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
