"""The assessor's queue and marking, and the assessment record learners read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.assessment import services
from portfolio.assessment.forms import build_decision_form
from portfolio.assessment.models import Outcome
from portfolio.auth import services as accounts
from portfolio.auth.models import Role
from portfolio.core.security import login_required, roles_required
from portfolio.evidence import services as evidence_services
from portfolio.qualifications import services as qualifications

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


@bp.get("/queue")
@roles_required(Role.ASSESSOR)
def queue() -> str:
    return render_template(
        "assessment/queue.html",
        submissions=services.queue(current_user),
        learners=accounts.caseload(current_user),
    )


@bp.route("/submissions/<int:submission_id>", methods=["GET", "POST"])
@roles_required(Role.ASSESSOR)
def mark(submission_id: int) -> str | Response | tuple[str, int]:
    submission = services.assessable_submission(current_user, submission_id)
    if submission is None:
        abort(404)
    existing = services.decision_for(submission)
    if existing is not None:
        flash("This submission has already been decided.", "info")
        return redirect(url_for("assessment.record", evidence_id=submission.evidence_id))
    points = qualifications.live_marking_points(submission.evidence.element_id)
    form = build_decision_form(points, {p.id for p in submission.claims})
    error = None
    if form.validate_on_submit():
        try:
            services.record_decision(
                current_user,
                submission,
                form.marks(),
                Outcome(form.outcome.data),
                form.feedback.data or "",
            )
        except services.DecisionRefused as refused:
            error = str(refused)
        else:
            flash(f"Decision recorded: {Outcome(form.outcome.data).label}.", "success")
            return redirect(url_for("assessment.queue"))
    spec = evidence_services.spec_for(submission.evidence)
    status = 422 if (form.errors or error) else 200
    return render_template(
        "assessment/mark.html",
        submission=submission,
        spec=spec,
        form=form,
        points={p.id: p for p in points},
        error=error,
    ), status


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


@bp.get("/learners/<int:learner_id>")
@login_required
def learner(learner_id: int) -> str:
    """A learner's tracking grid and evidence, for anyone entitled to their portfolio."""
    person = accounts.visible_learner(current_user, learner_id)
    if person is None:
        abort(404)
    return render_template(
        "assessment/learner.html",
        learner=person,
        grids=services.tracking_grid(person),
        items=evidence_services.list_for_learner(person),
    )
