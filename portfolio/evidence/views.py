"""The learner's evidence: start, save drafts, claim marking points, sign and submit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.security import roles_required
from portfolio.evidence import services
from portfolio.evidence.forms import DeclarationForm, NewEvidenceForm, build_evidence_form
from portfolio.evidence.models import Evidence
from portfolio.qualifications import services as qualifications

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


def _own(evidence_id: int) -> Evidence:
    evidence = services.get_own(current_user, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _new_form() -> NewEvidenceForm:
    return NewEvidenceForm(list(services.evidence_types().values()), qualifications.list_elements())


@bp.get("/")
@roles_required(Role.LEARNER)
def index() -> str:
    return render_template(
        "evidence/index.html", items=services.list_for_learner(current_user), form=_new_form()
    )


@bp.post("/")
@roles_required(Role.LEARNER)
def create() -> Response | tuple[str, int]:
    form = _new_form()
    if form.validate_on_submit():
        evidence = services.start_evidence(
            current_user, form.type_id.data, form.element_id.data, form.title.data
        )
        return redirect(url_for("evidence.edit", evidence_id=evidence.id))
    return render_template(
        "evidence/index.html", items=services.list_for_learner(current_user), form=form
    ), 422


@bp.route("/<int:evidence_id>/edit", methods=["GET", "POST"])
@roles_required(Role.LEARNER)
def edit(evidence_id: int) -> str | Response | tuple[str, int]:
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        if request.method == "POST":
            return render_template("evidence/locked.html", evidence=evidence), 409
        return redirect(url_for("assessment.record", evidence_id=evidence.id))
    spec = services.spec_for(evidence)
    points = qualifications.live_marking_points(evidence.element_id)
    if request.method == "GET":
        form = build_evidence_form(
            spec,
            points,
            data={
                **evidence.draft,
                "title": evidence.title,
                "claims": evidence.draft_claims,
                "version": str(evidence.version),
            },
        )
    else:
        form = build_evidence_form(spec, points)
    conflict = None
    if form.validate_on_submit():
        try:
            services.save_draft(
                evidence,
                title=form.title.data,
                sections=form.sections(),
                claims=form.claims.data or [],
                expected_version=int(form.version.data),
            )
        except ValueError:
            abort(400)
        except services.StaleDraft as stale:
            conflict = stale.current
            form.version.data = str(conflict.version)
        else:
            if request.form.get("next") == "submit":
                return redirect(url_for("evidence.submit", evidence_id=evidence.id))
            flash("Draft saved.", "success")
            return redirect(url_for("evidence.edit", evidence_id=evidence.id))
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "evidence/edit.html", evidence=evidence, spec=spec, form=form, conflict=conflict
    ), status


@bp.route("/<int:evidence_id>/submit", methods=["GET", "POST"])
@roles_required(Role.LEARNER)
def submit(evidence_id: int) -> str | Response | tuple[str, int]:
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        if request.method == "POST":
            return render_template("evidence/locked.html", evidence=evidence), 409
        return redirect(url_for("assessment.record", evidence_id=evidence.id))
    form = DeclarationForm()
    problems = services.submission_problems(evidence)
    if form.validate_on_submit():
        try:
            services.submit_evidence(evidence, current_user, form.declared_name.data)
        except services.SubmitRefused as refused:
            problems = refused.problems
            form.declared_name.errors.extend(
                p.message for p in problems if p.field == "declared_name"
            )
        else:
            flash(
                "Submitted. Your assessor has been told; you will see the decision here.", "success"
            )
            return redirect(url_for("assessment.record", evidence_id=evidence.id))
    return render_template(
        "evidence/submit.html",
        evidence=evidence,
        form=form,
        spec=services.spec_for(evidence),
        problems=[p for p in problems if p.field != "declared_name"],
    ), (422 if form.errors or (request.method == "POST" and problems) else 200)
