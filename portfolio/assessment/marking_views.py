"""The marking page and the assessor's comment bank (the queue is in caseload_views.py).
Routes on the assessment blueprint."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.assessment import comment_bank, services
from portfolio.assessment.feedback import ACCEPTANCE_WARNING
from portfolio.assessment.forms import DecisionForm, build_decision_form
from portfolio.assessment.models import Decision, Outcome
from portfolio.assessment.services import Refusal
from portfolio.assessment.views import bp
from portfolio.auth.models import Role
from portfolio.core.security import roles_required
from portfolio.evidence import services as evidence_services
from portfolio.evidence.models import Submission
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import MarkingPoint

# The learner's evidence list and record say when to expect a decision.
bp.add_app_template_global(services.expected_decision, "expected_decision")

_TAMPERED = "This decision was not recorded: the form had been changed after the page was sent."
# A refusal because of what is already recorded is a conflict; one about the marks is not.
_CONFLICTS = {Refusal.DECIDED, Refusal.NOT_LATEST, Refusal.NOT_SUBMITTED, Refusal.STALE}


def _page(
    submission: Submission,
    form: DecisionForm,
    points: Sequence[MarkingPoint],
    *,
    status: int = 200,
    error: str | None = None,
    existing: Decision | None = None,
) -> tuple[str, int]:
    return render_template(
        "assessment/mark.html",
        submission=submission,
        spec=evidence_services.spec_for(submission.evidence),
        form=form,
        points={p.id: p for p in points},
        claimed={p.id for p in submission.claims},
        bank=comment_bank.bank_for(p.id for p in points),
        item=services.queue_item(submission),
        error=error,
        existing=existing,
    ), status


@bp.route("/submissions/<int:submission_id>", methods=["GET", "POST"])
@roles_required(Role.ASSESSOR)
def mark(submission_id: int) -> str | Response | tuple[str, int]:
    submission = services.assessable_submission(current_user, submission_id)
    if submission is None:
        if request.method == "POST":
            services.refuse_outside_caseload(current_user, submission_id)
        abort(404)
    points = qualifications.live_marking_points(submission.evidence.element_id)
    form = build_decision_form(points, {p.id for p in submission.claims})
    if request.method == "GET":
        if services.decision_for(submission) is not None:
            flash("This submission has already been decided.", "info")
            return redirect(url_for("assessment.record", evidence_id=submission.evidence_id))
        form.submission_id.data = str(submission.id)
        form.version.data = str(submission.evidence.version)
        return _page(submission, form, points)

    tampered = form.tampering(submission.id, request.form.keys())
    if tampered is not None:
        services.refuse(
            current_user,
            submission.id,
            Refusal.TAMPERED,
            _TAMPERED,
            learner_id=submission.evidence.learner_id,
            detail={"detail": tampered},
        )
        return _page(submission, form, points, status=400, error=_TAMPERED)
    if not form.validate():
        return _page(submission, form, points, status=422)
    outcome, feedback, marks = Outcome(form.outcome.data), form.feedback.data or "", form.marks()
    try:
        services.record_decision(
            current_user, submission, marks, outcome, feedback, seen_version=form.seen_version()
        )
    except services.DecisionRefused as refused:
        existing = refused.existing
        if existing is not None and services.same_decision(
            existing, current_user, marks, outcome, feedback
        ):
            # A double click or a resent form: the first request recorded exactly this.
            flash(f"Decision recorded: {outcome.label}.", "success")
            return redirect(url_for("assessment.queue"))
        if refused.reason is Refusal.STALE:
            form.version.data = str(submission.evidence.version)  # to send again once read
        status = 409 if refused.reason in _CONFLICTS else 422
        return _page(submission, form, points, status=status, error=str(refused), existing=existing)
    flash(f"Decision recorded: {outcome.label}.", "success")
    if form.praise_only:
        flash(ACCEPTANCE_WARNING, "warning")
    return redirect(url_for("assessment.queue"))


@bp.get("/comments")
@roles_required(Role.ASSESSOR)
def comments() -> str:
    """The assessor's own entries in the comment bank, to tidy."""
    return render_template(
        "assessment/comments.html", entries=comment_bank.own_comments(current_user)
    )


@bp.post("/comments/<int:entry_id>/delete")
@roles_required(Role.ASSESSOR)
def comment_delete(entry_id: int) -> Response:
    if not comment_bank.delete_comment(current_user, entry_id):
        abort(404)
    flash("Comment removed from the bank.", "success")
    return redirect(url_for("assessment.comments"))
