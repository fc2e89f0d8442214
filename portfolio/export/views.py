"""Downloading PDFs: a learner's portfolio (the learner, their assessor, IQAs and admins
only) and an element's revision sheet (anyone signed in)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort
from flask_login import current_user

from portfolio.auth import services as accounts
from portfolio.core.security import login_required
from portfolio.export import services

bp = Blueprint("export", __name__, url_prefix="/export")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


@bp.get("/learners/<int:learner_id>/portfolio.pdf")
@login_required
def portfolio(learner_id: int) -> Response:
    learner = accounts.visible_learner(current_user, learner_id)
    if learner is None:
        abort(404)
    pdf = services.export_portfolio(learner)
    filename = _slug(learner.name) or "learner"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="portfolio-{filename}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/elements/<element_id>/sheet.pdf")
@login_required
def sheet(element_id: str) -> Response:
    pdf = services.export_revision_sheet(element_id)
    if pdf is None:
        abort(404)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="revision-{_slug(element_id)}.pdf"',
            "Cache-Control": "no-store",
        },
    )
