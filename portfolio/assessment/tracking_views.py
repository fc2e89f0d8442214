"""The tracking pages (a learner's, a cohort's) and their CSV downloads, and signing off an
element. The routes sit on the assessment blueprint: portfolio/assessment/__init__.py imports
this module to add them."""

from __future__ import annotations

import re

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from portfolio.assessment import caseload, cohort, signoff, tracking
from portfolio.assessment.views import bp
from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role
from portfolio.core.links import link_format
from portfolio.core.paging import page_arg, text_arg
from portfolio.core.security import login_required, roles_required
from portfolio.core.tables import csv_stream, csv_text, safe_filename
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
    # Read once, as rows, for the grids and the list below them.
    items = tracking.submitted_items(person)
    grids = tracking.tracking_page(person, items)
    # One url_for for the list's links, not one for each item.
    record_link = link_format("assessment.record", "evidence_id")
    return render_template(
        "assessment/learner.html",
        learner=person,
        grids=grids,
        signable={g.element.id for g in grids if signoff.may_sign_off(current_user, person, g)},
        # The list as (link, title, status) rows, made here: a call or a property in the
        # template costs several times what it does here, and the list is every item.
        items=[(record_link.format(i.id), i.title, i.status_label) for i in items],
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


def _filter(messages: list[str]) -> cohort.CohortFilter:
    """Every filter of the cohort page: scope and group as _choice reads them, then one
    assessor's learners (with every learner only: an assessor's own are theirs), part of a
    name, and one element. A value that names nothing is dropped, with a message."""
    scope, group = _choice()
    assessor_id = None
    raw = request.args.get("assessor", "").strip()
    if raw and scope is cohort.Scope.ALL:
        found = {str(a.id): a.id for a in caseload.assessors()}.get(raw)
        if found is None:
            messages.append(f"There is no assessor “{raw[:40]}”: showing every assessor's.")
        assessor_id = found
    element_id = request.args.get("element", "").strip() or None
    if element_id is not None and qualifications.get_element(element_id) is None:
        messages.append(f"There is no element “{element_id[:40]}”: showing every element.")
        element_id = None
    return cohort.CohortFilter(scope, group, assessor_id, text_arg("name"), element_id)


def _title(scope: cohort.Scope, group: Cohort | str | None) -> str:
    if isinstance(group, Cohort):
        which = f"group {group.name}"
    else:
        which = "in no group" if group == cohort.NO_GROUP else "every group"
    return f"Cohort tracking: {scope.label.lower()}, {which}"


@bp.get("/cohort", endpoint="cohort")
@roles_required(*MATRIX_ROLES)
def cohort_page() -> str:
    """Learners against marking points, 50 learners a page by name; an assessor's own by
    default, everyone's for IQAs and admins, filtered by learner group, assessor, name and
    element; the foot of each table counts every learner the filters select."""
    messages: list[str] = []
    where = _filter(messages)
    page = cohort.cohort_page(current_user, where, page_arg())
    # The cohort export takes every learner of the scope and group: say how many that is.
    exported = (
        cohort.learner_count(current_user, cohort.CohortFilter(where.scope, where.group))
        if where.narrowed
        else page.learners.total
    )
    overseer = where.scope is cohort.Scope.ALL
    return render_template(
        "assessment/cohort.html",
        title=_title(where.scope, where.group),
        page=page,
        where=where,
        exported=exported,
        messages=messages,
        scopes=cohort.scopes_for(current_user),
        scope=where.scope,
        groups=accounts.list_cohorts(),
        group=request.args.get("group", ""),
        assessors=caseload.assessors() if overseer else [],
        elements=qualifications.list_elements(),
        NO_GROUP=cohort.NO_GROUP,
    )


@bp.get("/cohort.csv")
@roles_required(*MATRIX_ROLES)
def cohort_csv() -> Response:
    """The cohort page's tables for every learner the filters select (not just one page),
    streamed a line at a time from keyset batches of learners."""
    where = _filter([])
    scope, group = where.scope, where.group
    which = group.name if isinstance(group, Cohort) else (group or "every-group")
    lines = cohort.csv_lines(current_user, where, _title(scope, group))
    return Response(
        stream_with_context(csv_stream(lines)),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="{}"'.format(
                safe_filename("cohort-tracking", scope.value, which, extension="csv")
            ),
            "Cache-Control": "no-store",
        },
    )
