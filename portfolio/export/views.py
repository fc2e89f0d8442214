"""Downloading PDFs: a learner's portfolio (the learner, their assessor, IQAs and admins
only) and an element's revision sheet (anyone signed in)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from portfolio.auth import services as accounts
from portfolio.core.security import login_required
from portfolio.export import services
from portfolio.export.facts import Scope
from portfolio.qualifications import services as qualifications

bp = Blueprint("export", __name__, url_prefix="/export")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


@bp.get("/learners/<int:learner_id>/portfolio.pdf")
@login_required
def portfolio(learner_id: int) -> Response:
    learner = accounts.visible_learner(current_user, learner_id)
    if learner is None:
        abort(404)
    # ?element=ID for one element, ?eqa=1 for an EQA sample; an unknown element is not found.
    element_id = request.args.get("element") or None
    if element_id is not None and qualifications.get_element(element_id) is None:
        abort(404)
    scope = Scope(element_id, request.args.get("eqa") == "1")
    pdf = services.export_portfolio(learner, scope)
    filename = _slug(learner.name) or "learner"
    if element_id:
        filename += f"-{_slug(element_id)}"
    if scope.eqa:
        filename += "-eqa"
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
