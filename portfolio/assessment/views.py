"""The assessment record learners read, and attempts compared. (The queue and marking are in
marking_views.py, on this blueprint.)"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from portfolio.assessment import services
from portfolio.core.security import login_required
from portfolio.evidence import services as evidence_services

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


@bp.get("/evidence/<int:evidence_id>")
@login_required
def record(evidence_id: int) -> str:
    """An evidence item with every submission and decision: for the learner and their assessors."""
    evidence = evidence_services.get_visible(current_user, evidence_id)
    if evidence is None:
        abort(404)
    return render_template(
        "assessment/record.html",
        evidence=evidence,
        spec=evidence_services.spec_for(evidence),
        decisions=services.decisions_for(evidence),
        reopened=services.superseded_decisions(evidence),
        expected=services.expected_decision(evidence),
    )


@bp.get("/evidence/<int:evidence_id>/diff")
@login_required
def diff(evidence_id: int) -> str:
    """What changed between two attempts (by default the last two), field by field, for
    anyone who may see the record."""
    evidence = evidence_services.get_visible(current_user, evidence_id)
    if evidence is None:
        abort(404)
    latest = len(evidence.submissions)
    new = request.args.get("to", latest, type=int)
    old = request.args.get("from", new - 1, type=int)
    comparison = evidence_services.compare_submissions(evidence, old, new)
    if comparison is None:
        abort(404)
    return render_template(
        "assessment/diff.html",
        evidence=evidence,
        comparison=comparison,
        numbers=[s.number for s in evidence.submissions],
    )
