"""Role rules for views, and the security headers every response carries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

from flask import Flask, Response, abort
from flask_login import current_user

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


def _add_headers(response: Response) -> Response:
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


def init_security(app: Flask) -> None:
    app.after_request(_add_headers)
