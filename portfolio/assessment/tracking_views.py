"""The tracking pages (a learner's, a cohort's) and their CSV downloads, and signing off an
element. The routes sit on the assessment blueprint: portfolio/assessment/__init__.py imports
this module to add them."""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from portfolio.assessment import cohort, signoff, tracking
from portfolio.assessment.views import bp
from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role
from portfolio.core.security import login_required, roles_required
from portfolio.core.tables import csv_text, safe_filename
from portfolio.evidence import services as evidence_services
from portfolio.qualifications import services as qualifications

MATRIX_ROLES = (Role.ASSESSOR, Role.IQA, Role.ADMIN)


def _csv(body: str, filename: str) -> Response:
    return Response(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # Personal data: never kept in a shared cache.
            "Cache-Control": "no-store",
        },
    )


@bp.get("/learners/<int:learner_id>")
@login_required
def learner(learner_id: int) -> str:
    """A learner's tracking grid, sign-offs and evidence, for anyone entitled to their
    portfolio; the learner's own assessor signs off complete elements here."""
    person = accounts.visible_learner(current_user, learner_id)
    if person is None:
        abort(404)
    grids = tracking.tracking_grid(person)
    return render_template(
        "assessment/learner.html",
        learner=person,
        grids=grids,
        signable={g.element.id for g in grids if signoff.may_sign_off(current_user, person, g)},
        items=evidence_services.list_for_learner(person),
    )


@bp.get("/learners/<int:learner_id>/tracking.csv")
@login_required
def learner_csv(learner_id: int) -> Response:
    """The learner page's tracking tables as CSV, for whoever may open that page."""
    person = accounts.visible_learner(current_user, learner_id)
    if person is None:
        abort(404)
    body = csv_text(f"{person.name}: tracking", [g.table for g in tracking.tracking_grid(person)])
    return _csv(body, safe_filename("tracking", person.name, extension="csv"))


@bp.post("/learners/<int:learner_id>/elements/<element_id>/sign-off")
@roles_required(Role.ASSESSOR)
def sign_off(learner_id: int, element_id: str) -> BaseResponse:
    person = accounts.visible_learner(current_user, learner_id)
    element = qualifications.get_element(element_id)
    # Another assessor's learner is hidden, as everywhere (an IQA who also assesses may see
    # the page, but not sign for someone else's caseload).
    if person is None or element is None or person.assessor_id != current_user.id:
        abort(404)
    try:
        signoff.sign_off_element(current_user, person, element)
    except signoff.SignOffRefused as refused:
        flash(str(refused), "error")
    else:
        flash(f"Signed off: {element.title}.", "success")
    return redirect(
        url_for("assessment.learner", learner_id=person.id, _anchor=f"element-{element.id}")
    )


def _choice() -> tuple[cohort.Scope, Cohort | str | None]:
    """The cohort page's filters from the query string, checked: whose learners (only the
    scopes the viewer has), and which learner group (any, none, or one that exists)."""
    scopes = cohort.scopes_for(current_user)
    wanted = request.args.get("learners") or scopes[0].value
    scope = next((s for s in scopes if s.value == wanted), None)
    if scope is None:
        abort(400)
    raw = request.args.get("group", "")
    if not raw:
        return scope, None
    if raw == cohort.NO_GROUP:
        return scope, cohort.NO_GROUP
    # ASCII digits of a size an integer column holds: anything else names no group.
    group = accounts.get_cohort(int(raw)) if re.fullmatch(r"[0-9]{1,9}", raw) else None
    if group is None:
        abort(404)
    return scope, group


def _title(scope: cohort.Scope, group: Cohort | str | None) -> str:
    if isinstance(group, Cohort):
        which = f"group {group.name}"
    else:
        which = "in no group" if group == cohort.NO_GROUP else "every group"
    return f"Cohort tracking: {scope.label.lower()}, {which}"


@bp.get("/cohort", endpoint="cohort")
@roles_required(*MATRIX_ROLES)
def cohort_page() -> str:
    """Learners against marking points; an assessor's own by default, everyone's for IQAs and
    admins, optionally one learner group."""
    scope, group = _choice()
    matrix = cohort.cohort_matrix(cohort.cohort_learners(current_user, scope, group))
    return render_template(
        "assessment/cohort.html",
        title=_title(scope, group),
        matrix=matrix,
        scopes=cohort.scopes_for(current_user),
        scope=scope,
        groups=accounts.list_cohorts(),
        group=request.args.get("group", ""),
        NO_GROUP=cohort.NO_GROUP,
    )


@bp.get("/cohort.csv")
@roles_required(*MATRIX_ROLES)
def cohort_csv() -> Response:
    scope, group = _choice()
    matrix = cohort.cohort_matrix(cohort.cohort_learners(current_user, scope, group))
    which = group.name if isinstance(group, Cohort) else (group or "every-group")
    return _csv(
        csv_text(_title(scope, group), matrix.tables),
        safe_filename("cohort-tracking", scope.value, which, extension="csv"),
    )
