"""Role rules for views, and the security headers every response carries."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import Flask, Response, abort, current_app, flash, session
from flask_login import current_user, logout_user

from portfolio.core.errors import json_error, prefers_json
from portfolio.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


class HasRoles(Protocol):
    def has_role(self, *roles: str) -> bool: ...


def roles_required(*roles: str) -> Callable[[F], F]:
    """Anonymous users go to the login page; signed-in users without one of `roles` get 403.
    A script asking for JSON (autosave) gets 401 instead: a redirect to the login page would
    reach it as a 200 HTML page, and it must tell the learner their text was not saved."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if prefers_json():
                    return json_error(401, "You are signed out: sign in again to save.")
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


login_required = roles_required()

# No inline script or style anywhere in the app, so the policy can be strict.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


_HSTS = "max-age=31536000; includeSubDomains"


def _add_headers(response: Response) -> Response:
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", _HSTS)
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype in ("text/html", "application/json"):
        # Pages (and autosave answers) hold personal data and evidence: never keep them in a
        # shared cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# The session's clock, in the signed session cookie: when the person signed in, and when they
# were last seen (written at most once a minute, so most responses leave the cookie alone).
BEGAN, SEEN = "_began", "_seen"
_SEEN_EVERY = 60


def start_session_clock() -> None:
    """At sign-in: the session begins now, with a fresh CSRF token (the one the signed-out
    form used is not carried into the signed-in session)."""
    now = int(time.time())
    session[BEGAN] = session[SEEN] = now
    session.pop("csrf_token", None)


def _end_expired_session() -> None:
    """Before each request: a sign-in idle longer than SESSION_IDLE_HOURS, or older than
    SESSION_MAX_HOURS, ends here; the page asked for then sends the person to sign in again
    (or answers 401 to autosave), as for anyone signed out."""
    if "_user_id" not in session:
        return
    config, now = current_app.config, int(time.time())
    began, seen = session.get(BEGAN), session.get(SEEN)
    idle = int(config["SESSION_IDLE_HOURS"]) * 3600
    most = int(config["SESSION_MAX_HOURS"]) * 3600
    if not isinstance(began, int) or not isinstance(seen, int):
        # Signed in before sessions had a clock: it starts now.
        session[BEGAN] = session[SEEN] = now
        return
    if now - seen > idle or now - began > most:
        logout_user()
        session.clear()
        flash(
            "You were signed out because your session ended (after "
            f"{config['SESSION_IDLE_HOURS']} hours without activity, or "
            f"{config['SESSION_MAX_HOURS']} hours in all). Sign in again to carry on.",
            "info",
        )
        return
    if now - seen >= _SEEN_EVERY:
        session[SEEN] = now


def init_security(app: Flask) -> None:
    app.before_request(_end_expired_session)
    app.after_request(_add_headers)
