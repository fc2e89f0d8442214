"""Downloading a learner's portfolio PDF: the learner, their assessor, IQAs and admins only."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort
from flask_login import current_user

from portfolio.auth import services as accounts
from portfolio.auth.models import Role
from portfolio.core.security import login_required
from portfolio.export import services

bp = Blueprint("export", __name__, url_prefix="/export")


@bp.get("/learners/<int:learner_id>/portfolio.pdf")
@login_required
def portfolio(learner_id: int) -> Response:
    learner = accounts.get_user(learner_id)
    if (
        learner is None
        or not learner.has_role(Role.LEARNER)
        or not accounts.may_view_learner(current_user, learner)
    ):
        abort(404)
    pdf = services.export_portfolio(learner)
    filename = re.sub(r"[^A-Za-z0-9]+", "-", learner.name).strip("-").lower() or "learner"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="portfolio-{filename}.pdf"',
            "Cache-Control": "no-store",
        },
    )
