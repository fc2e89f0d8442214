"""Internal quality assurance pages. IQAs do everything here; admins may read every page and
change sampling plans (they set staff up), but never sample, review or countersign: those are
quality assurance judgements."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.assessment.models import AssessorStatus
from portfolio.auth.models import Role
from portfolio.core.security import roles_required
from portfolio.evidence import services as evidence_services
from portfolio.iqa import countersigning, services, snapshot
from portfolio.iqa.forms import PeriodForm, PlanForm, TakeSampleForm, VerdictForm
from portfolio.iqa.models import Sample, SampleItem, Verdict

bp = Blueprint("iqa", __name__, url_prefix="/iqa")

READERS = (Role.IQA, Role.ADMIN)


@bp.app_template_global("iqa_reopened")
def iqa_reopened(submission_id: int) -> list[SampleItem]:
    # The assessor's marking page shows why a decision came back to them, without the
    # assessment package knowing that IQA exists.
    return list(services.reopened_feedback(submission_id))


@bp.get("/")
@roles_required(*READERS)
def index() -> str:
    return render_template(
        "iqa/index.html",
        samples=services.list_samples(),
        countersignatures=len(countersigning.awaiting_countersignature(current_user)),
    )


@bp.get("/plans")
@roles_required(*READERS)
def plans() -> str:
    return render_template("iqa/plans.html", rows=services.plan_rows())


@bp.route("/plans/<int:assessor_id>", methods=["GET", "POST"])
@roles_required(*READERS)
def plan(assessor_id: int) -> str | Response | tuple[str, int]:
    assessor = services.get_assessor(assessor_id)
    if assessor is None:
        abort(404)
    current = services.plan_for(assessor)
    form = PlanForm(data={"status": current.status.value, "percentage": current.percentage})
    error = None
    if form.validate_on_submit():
        try:
            changed = services.change_plan(
                assessor, AssessorStatus(form.status.data), form.percentage.data, current_user
            )
        except services.Refused as refused:
            error = str(refused)
        else:
            flash(
                f"Sampling plan for {assessor.name} saved." if changed else "Nothing changed.",
                "success" if changed else "info",
            )
            return redirect(url_for("iqa.plans"))
    status = 422 if (form.errors or error) else 200
    return render_template(
        "iqa/plan.html", assessor=assessor, form=form, error=error, current=current
    ), status


def _period() -> tuple[PeriodForm, services.Period]:
    default = services.default_period()
    form = PeriodForm(
        formdata=request.args or None, data={"since": default.since, "until": default.until}
    )
    if request.args and not form.validate():
        return form, default
    since = form.since.data or default.since
    until = form.until.data or default.until
    if since > until:
        since = until
    return form, services.Period(since, until)


def _proposal_page(
    form: PeriodForm, period: services.Period, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    proposal = services.propose_sample(current_user, period)
    take = TakeSampleForm(
        formdata=None,
        data={"since": period.since.isoformat(), "until": period.until.isoformat()},
    )
    if form.errors:
        status = 422
    return render_template(
        "iqa/propose.html",
        form=form,
        take=take,
        period=period,
        proposal=proposal,
        error=error,
    ), status


@bp.get("/samples/new")
@roles_required(Role.IQA)
def propose() -> tuple[str, int]:
    form, period = _period()
    return _proposal_page(form, period)


@bp.post("/samples")
@roles_required(Role.IQA)
def take() -> Response | tuple[str, int]:
    form = TakeSampleForm()
    try:
        period = services.Period(
            date.fromisoformat(form.since.data or ""), date.fromisoformat(form.until.data or "")
        )
    except ValueError:
        abort(400)  # the period travels in hidden fields: only a hand-made form gets here
    if not form.validate_on_submit():
        abort(400)  # CSRF failures are answered before this; this is an id that is no number
    try:
        sample = services.take_sample(current_user, period, form.decision.data or [])
    except services.Refused as refused:
        shown = PeriodForm(formdata=None, data={"since": period.since, "until": period.until})
        return _proposal_page(shown, period, str(refused), 422)
    flash(f"Sample taken: {len(sample.items)} decisions to review.", "success")
    return redirect(url_for("iqa.sample", sample_id=sample.id))


def _sample(sample_id: int) -> Sample:
    sample = services.get_sample(sample_id)
    if sample is None:
        abort(404)
    return sample


@bp.get("/samples/<int:sample_id>")
@roles_required(*READERS)
def sample(sample_id: int) -> str:
    found = _sample(sample_id)
    return render_template(
        "iqa/sample.html", sample=found, answers=services.answers(found), Verdict=Verdict
    )


def _item_page(
    item: SampleItem, form: VerdictForm, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    frozen = snapshot.read(item.snapshot)
    return render_template(
        "iqa/item.html",
        item=item,
        frozen=frozen,
        spec=evidence_services.evidence_types().get(frozen.type_id),
        answer=services.answer_to(item),
        form=form,
        error=error,
        Verdict=Verdict,
    ), status


def _item(sample_id: int, item_id: int) -> SampleItem:
    item = services.get_item(sample_id, item_id)
    if item is None:
        abort(404)
    return item


@bp.get("/samples/<int:sample_id>/items/<int:item_id>")
@roles_required(*READERS)
def item(sample_id: int, item_id: int) -> tuple[str, int]:
    found = _item(sample_id, item_id)
    services.answers(found.sample)  # marks a disagreement resolved once answered
    return _item_page(found, VerdictForm(formdata=None))


@bp.post("/samples/<int:sample_id>/items/<int:item_id>/verdict")
@roles_required(Role.IQA)
def review(sample_id: int, item_id: int) -> Response | tuple[str, int]:
    found = _item(sample_id, item_id)
    form = VerdictForm()
    if not form.validate_on_submit():
        return _item_page(found, form, status=422)
    verdict = Verdict(form.verdict.data)
    try:
        services.review_item(found, current_user, verdict, form.feedback.data or "")
    except services.Refused as refused:
        return _item_page(_item(sample_id, item_id), form, str(refused), 422)
    if verdict is Verdict.DISAGREE:
        flash("Disagreement recorded: the decision is back in the assessor's queue.", "success")
    else:
        flash("Agreement recorded.", "success")
    return redirect(url_for("iqa.sample", sample_id=sample_id))


@bp.get("/countersignatures")
@roles_required(*READERS)
def countersignatures() -> str:
    return render_template(
        "iqa/countersignatures.html",
        decisions=countersigning.awaiting_countersignature(current_user),
    )


@bp.post("/decisions/<int:decision_id>/countersignature")
@roles_required(Role.IQA)
def countersign(decision_id: int) -> Response:
    decision = countersigning.get_decision(decision_id)
    if decision is None:
        abort(404)
    try:
        countersigning.countersign(decision, current_user)
    except services.Refused as refused:
        flash(str(refused), "error")
    else:
        flash(f"Countersigned {decision.assessor.name}'s decision.", "success")
    return redirect(url_for("iqa.countersignatures"))
