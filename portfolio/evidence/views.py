"""The learner's evidence: start, save drafts, claim marking points, sign and submit."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.errors import json_error
from portfolio.core.security import roles_required
from portfolio.evidence import check_services, listing, services, versions
from portfolio.evidence.display import display_values
from portfolio.evidence.forms import (
    DeclarationForm,
    EvidenceForm,
    NewEvidenceForm,
    build_evidence_form,
)
from portfolio.evidence.models import Evidence
from portfolio.qualifications import services as qualifications

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
# Every page that shows evidence content (edit, submit, the assessor's pages, the PDF) draws it
# with templates/evidence/_content.html, which calls this.
bp.add_app_template_global(display_values, "evidence_display")


def _own(evidence_id: int) -> Evidence:
    evidence = services.get_own(current_user, evidence_id)
    if evidence is None:
        abort(404)
    return evidence


def _save(evidence: Evidence, form: EvidenceForm) -> Evidence:
    """The one way a posted draft form is saved: the full form and autosave both come through
    here, so every field type is parsed the same way whichever sent it."""
    return services.save_draft(
        evidence,
        title=form.title.data,
        sections=form.sections(),
        claims=form.claims.data or [],
        expected_version=int(form.version.data),
    )


def _new_form() -> NewEvidenceForm:
    return NewEvidenceForm(list(services.evidence_types().values()), qualifications.list_elements())


@bp.get("/")
@roles_required(Role.LEARNER)
def index() -> str:
    return render_template(
        "evidence/index.html", items=listing.evidence_rows(current_user), form=_new_form()
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
        "evidence/index.html", items=listing.evidence_rows(current_user), form=form
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
        # After "Add a row": that section gets the blank rows it had plus one more.
        more = {request.args.get("add", ""): request.args.get("blank", 1, type=int)}
        form = build_evidence_form(
            spec,
            points,
            more_rows=more,
            data={
                **evidence.draft,
                "title": evidence.title,
                "claims": evidence.draft_claims,
                "version": str(evidence.version),
            },
        )
        if request.args.get("check"):  # from the submit page: each problem beside its field
            form.place_problems(services.submission_problems(evidence))
    else:
        form = build_evidence_form(spec, points)
    conflict = None
    if form.validate_on_submit():
        try:
            _save(evidence, form)
        except ValueError:
            abort(400)
        except services.StaleDraft as stale:
            conflict = stale.current
            form.version.data = str(conflict.version)
        else:
            if request.form.get("next") == "submit":
                return redirect(url_for("evidence.submit", evidence_id=evidence.id))
            if section_id := form.pressed_add_row():
                return _added_row(evidence, form, section_id)
            flash("Draft saved.", "success")
            return redirect(url_for("evidence.edit", evidence_id=evidence.id))
    # A GET that shows the submit problems (?check=1) is still a page that worked: 200.
    status = 409 if conflict else (422 if form.errors and form.is_submitted() else 200)
    return render_template(
        "evidence/edit.html",
        evidence=evidence,
        spec=spec,
        form=form,
        conflict=conflict,
        coverage=check_services.coverage_for_draft(evidence),
    ), status


def _added_row(evidence: Evidence, form: EvidenceForm, section_id: str) -> Response:
    """Saved; back to the form with one more blank row in that section, scrolled to it."""
    blank = form.blank_rows(section_id) + 1
    section = form.section(section_id)
    last = min(len(evidence.draft.get(section_id) or []) + blank, section.max_rows) - 1
    flash(f"Draft saved. A blank row has been added to {section.label}.", "success")
    return redirect(
        url_for(
            "evidence.edit",
            evidence_id=evidence.id,
            add=section_id,
            blank=blank,
            _anchor=f"{section_id}-{last}",
        )
    )


def _messages(errors: object) -> list[str]:
    """A field's errors as plain messages: a rows field nests them by row and cell."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        errors = list(errors.values())
    if isinstance(errors, list | tuple):
        return [m for e in errors for m in _messages(e)]
    return []


def _saved_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "version": evidence.version,
        "saved_at": evidence.saved_at.isoformat(),
        "saved_label": versions.saved_label(evidence.saved_at),
    }


def _other_version_json(current: Evidence, form: EvidenceForm) -> dict[str, Any]:
    """The version another tab saved, raw and as the form's labelled fields, so the page can
    show it beside the learner's own in the same order and words."""
    claim_labels = {c.value: c.label for c in form.claims.choices}
    fields = [
        {"label": form.title.label.text, "text": current.title},
        *(
            {"label": label, "text": text}
            for _, label, text in versions.field_texts(services.spec_for(current), current.draft)
        ),
        {
            "label": form.claims.label.text,
            "text": "\n".join(claim_labels.get(c, c) for c in current.draft_claims),
        },
    ]
    return {
        **_saved_json(current),
        "title": current.title,
        "draft": current.draft,
        "claims": current.draft_claims,
        "fields": fields,
    }


@bp.post("/<int:evidence_id>/autosave")
@roles_required(Role.LEARNER)
def autosave(evidence_id: int) -> tuple[Response, int]:
    """The draft form sent by autosave.js while the learner types: saved by the same path as
    the Save button, answered in JSON. Errors are JSON too (the request asks for it), so a
    signed-out learner gets 401, not the sign-in page."""
    evidence = _own(evidence_id)
    if not evidence.status.editable:
        return json_error(409, "This evidence has been submitted: it cannot be changed now.")
    form = build_evidence_form(
        services.spec_for(evidence), qualifications.live_marking_points(evidence.element_id)
    )
    if not form.validate_on_submit():
        problems = [
            {"field": f.id, "label": f.label.text, "messages": _messages(f.errors)}
            for f in form
            if f.errors
        ]
        return json_error(422, "Not saved: fix the fields named below.", problems=problems)
    try:
        _save(evidence, form)
    except ValueError:
        return json_error(400)
    except services.NotEditable:
        return json_error(409, "This evidence has been submitted: it cannot be changed now.")
    except services.StaleDraft as stale:
        return json_error(
            409,
            "This draft was saved in another tab or device since this page was opened.",
            current=_other_version_json(stale.current, form),
        )
    # The coverage hints beside the form follow the text as it is saved.
    return jsonify(
        {**_saved_json(evidence), "coverage": check_services.coverage_for_draft(evidence)}
    ), 200


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
        raw_version = (form.version.data or "").strip()
        if raw_version and not raw_version.isdigit():
            abort(400)
        try:
            services.submit_evidence(
                evidence,
                current_user,
                form.declared_name.data,
                expected_version=int(raw_version) if raw_version else None,
            )
        except services.SubmitRefused as refused:
            problems = refused.problems
            form.declared_name.errors.extend(
                p.message for p in problems if p.field == "declared_name"
            )
        except services.StaleDraft:
            # Signed for a version of the draft that is no longer the one saved: show the
            # current one to read and sign again.
            return render_submit_page(evidence, form, problems, 409, changed=True)
        except services.NotEditable:
            # Two submits at once (a double click): the other one made the submission.
            return render_template("evidence/locked.html", evidence=evidence), 409
        else:
            flash(
                "Submitted. Your assessor has been told; you will see the decision here.", "success"
            )
            return redirect(url_for("assessment.record", evidence_id=evidence.id))
    status = 422 if form.errors or (request.method == "POST" and problems) else 200
    return render_submit_page(evidence, form, problems, status)


def render_submit_page(
    evidence: Evidence,
    form: DeclarationForm,
    problems: list[services.Problem],
    status: int,
    **extra: Any,
) -> tuple[str, int]:
    """The submit page with its checks; check_views.py draws it too when a flag action is
    refused, so the learner stays where they were with the reason shown."""
    return render_template(
        "evidence/submit.html",
        evidence=evidence,
        form=form,
        spec=services.spec_for(evidence),
        problems=[p for p in problems if p.field != "declared_name"],
        checks=check_services.check_evidence(evidence),
        **extra,
    ), status
