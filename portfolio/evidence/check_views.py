"""The submit page's check actions: replace a flagged personal detail with its neutral label
(one, or all), or dismiss a flag with a reason. Learners only, on their own editable drafts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.security import roles_required
from portfolio.evidence import check_services, services
from portfolio.evidence.check_forms import DismissFlagForm, FlagActionForm
from portfolio.evidence.forms import DeclarationForm
from portfolio.evidence.models import Evidence
from portfolio.evidence.views import bp, render_submit_page

Page = Response | tuple[str, int]

STALE = (
    "This draft changed after this page was drawn (in another tab, or by an earlier click), "
    "so nothing was changed. The checks below are up to date: look again and try once more."
)


def _own(evidence_id: int) -> Evidence:
    evidence = services.get_own(current_user, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _locked(evidence: Evidence) -> tuple[str, int]:
    return render_template("evidence/locked.html", evidence=evidence), 409


def _back(evidence: Evidence) -> Response:
    return redirect(url_for("evidence.submit", evidence_id=evidence.id, _anchor="checks"), 303)


def _refused(evidence: Evidence, status: int, **extra: object) -> tuple[str, int]:
    """The submit page again, with what went wrong shown in the checks."""
    problems = services.submission_problems(evidence)
    return render_submit_page(evidence, DeclarationForm(formdata=None), problems, status, **extra)


def _version(form: FlagActionForm) -> int:
    if not form.validate_on_submit():
        abort(400)
    return int(form.version.data)


@bp.post("/<int:evidence_id>/flags/<flag_id>/redaction")
@roles_required(Role.LEARNER)
def redact(evidence_id: int, flag_id: str) -> Page:
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        return _locked(evidence)
    version = _version(FlagActionForm())
    try:
        flag = check_services.redact_flag(evidence, flag_id, version)
    except services.StaleDraft:
        return _refused(evidence, 409, check_error=STALE)
    except check_services.FlagNotFound:
        abort(404)
    except services.NotEditable:
        return _locked(evidence)
    # The detail itself is not repeated: flashed messages travel in the session cookie.
    flash(f"Replaced {flag.kind_name} in {flag.field} with {flag.label}.", "success")
    return _back(evidence)


@bp.post("/<int:evidence_id>/flags/redaction")
@roles_required(Role.LEARNER)
def redact_all(evidence_id: int) -> Page:
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        return _locked(evidence)
    version = _version(FlagActionForm())
    try:
        count = check_services.redact_all(evidence, version)
    except services.StaleDraft:
        return _refused(evidence, 409, check_error=STALE)
    except services.NotEditable:
        return _locked(evidence)
    flash(
        f"Replaced {count} personal detail{'' if count == 1 else 's'} with neutral labels."
        if count
        else "There was nothing left to replace.",
        "success",
    )
    return _back(evidence)


@bp.post("/<int:evidence_id>/flags/<flag_id>/dismissal")
@roles_required(Role.LEARNER)
def dismiss(evidence_id: int, flag_id: str) -> Page:
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        return _locked(evidence)
    form = DismissFlagForm()
    typed = request.form.get("reason", "")
    if not form.validate_on_submit():
        if form.version.errors or form.csrf_token.errors:
            abort(400)
        errors = list(form.reason.errors)
        return _refused(
            evidence, 422, dismiss_error={"id": flag_id, "errors": errors, "reason": typed}
        )
    try:
        flag = check_services.dismiss_flag(
            evidence, flag_id, form.reason.data, int(form.version.data)
        )
    except check_services.BadReason:
        errors = ["Say why you are keeping it, e.g. “a product name, not a person”."]
        return _refused(
            evidence, 422, dismiss_error={"id": flag_id, "errors": errors, "reason": typed}
        )
    except services.StaleDraft:
        return _refused(evidence, 409, check_error=STALE)
    except check_services.FlagNotFound:
        abort(404)
    except services.NotEditable:
        return _locked(evidence)
    flash(f"Dismissed the flag in {flag.field}, with your reason.", "success")
    return _back(evidence)
