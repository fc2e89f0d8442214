"""Friendly error pages; a server error never shows a stack trace."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portfolio.extensions import db

# Seconds a client is told to wait before trying again when the database is unavailable.
RETRY_AFTER = 30

_PAGES = {400, 403, 404, 405, 413, 500}


_TITLES = {
    400: "The request could not be understood.",
    401: "You are signed out.",
    403: "You do not have access to that.",
    404: "Not found.",
    405: "That method is not allowed here.",
    413: "That is too large.",
    500: "Sorry, something went wrong on our side.",
}


def prefers_json() -> bool:
    """A script asking for data (autosave): it gets its error as JSON it can show in place,
    not an HTML page it would have to parse."""
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def json_error(code: int, message: str | None = None, **extra: object) -> tuple[Response, int]:
    return jsonify(error=message or _TITLES.get(code, "Error."), **extra), code


def _render(code: int, message: str | None = None) -> tuple[str | Response, int]:
    if prefers_json():
        return json_error(code, message)
    template = f"errors/{code}.html" if code in _PAGES else "errors/generic.html"
    return render_template(template, code=code, message=message), code


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str | Response, int]:
        if prefers_json():
            # A script's token went stale (the session cookie was replaced): hand it a fresh
            # one to retry with. Only a page of this site can read the answer, so this gives an
            # attacker nothing a GET of any form would not.
            return json_error(400, "The form token has expired.", csrf_token=generate_csrf())
        return _render(
            400,
            "This form has expired or was not sent from this site. "
            "Go back, reload the page and try again: nothing was saved.",
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str | Response, int]:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if not limit:
            return _render(413)
        return _render(
            413,
            f"The most this site accepts in one go is {limit / (1024 * 1024):g} MB. "
            "Make the file or text smaller and try again: nothing was saved.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str | Response, int]:
        return _render(error.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(error: Exception) -> Response:
        # Unreachable, locked past busy_timeout, a statement past its time limit, no free
        # connection: the request may work in a moment, so a 503 that says when to try again,
        # drawn without the database (the usual pages ask it who is signed in).
        # With its trace: "no such table" (a missing migration) is an OperationalError too.
        app.logger.error("database unavailable: %s", error, exc_info=error)
        _rollback_quietly()
        if prefers_json():
            response, _ = json_error(
                503, "The database is busy or cannot be reached: try again in a moment."
            )
        else:
            # Straight from the template, without the context processors: they ask who is
            # signed in, which needs the database.
            page = app.jinja_env.get_template("errors/unavailable.html")
            response = Response(page.render(retry=RETRY_AFTER), mimetype="text/html")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> tuple[str | Response, int]:
        app.logger.exception("unhandled error")
        _rollback_quietly()
        return _render(500)


def _rollback_quietly() -> None:
    """Ends the request's transaction; with the database gone that fails too, which must
    not turn the error page into a bare 500."""
    try:
        db.session.rollback()
    except Exception:  # the page is what matters now
        db.session().invalidate()
