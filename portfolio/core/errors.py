"""Friendly error pages; a server error never shows a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portfolio.extensions import db

_PAGES = {400, 403, 404, 405, 413, 500}


def _render(code: int, message: str | None = None) -> tuple[str, int]:
    template = f"errors/{code}.html" if code in _PAGES else "errors/generic.html"
    return render_template(template, code=code, message=message), code


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return _render(
            400,
            "This form has expired or was not sent from this site. "
            "Go back, reload the page and try again: nothing was saved.",
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if not limit:
            return _render(413)
        return _render(
            413,
            f"The most this site accepts in one go is {limit / (1024 * 1024):g} MB. "
            "Make the file or text smaller and try again: nothing was saved.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        return _render(error.code or 500)

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error")
        db.session.rollback()
        return _render(500)
