"""Internal quality assurance pages. IQAs do everything here; admins may read every page and
change sampling plans (they set staff up), but never sample, review or countersign: those are
quality assurance judgements."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.assessment.models import AssessorStatus
from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role
from portfolio.core.links import link_format
from portfolio.core.paging import cursor_arg, page_arg
from portfolio.core.security import roles_required
from portfolio.evidence import services as evidence_services
from portfolio.iqa import countersigning, services, snapshot
from portfolio.iqa.forms import PeriodForm, PlanForm, TakeSampleForm, VerdictForm
from portfolio.iqa.models import Sample, SampleItem, Verdict
from portfolio.iqa.sampling import Stage
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Element

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
    after, message = cursor_arg()
    samples = services.samples_page(after)
    if message:
        samples = dataclasses.replace(samples, message=message)
    return render_template(
        "iqa/index.html",
        samples=samples,
        countersignatures=countersigning.count_awaiting(current_user),
        sample_link=link_format("iqa.sample", "sample_id"),
    )


@bp.get("/plans")
@roles_required(*READERS)
def plans() -> str:
    return render_template(
        "iqa/plans.html",
        rows=services.plan_rows(page_arg()),
        days=services.DEFAULT_PERIOD_DAYS,
        plan_link=link_format("iqa.plan", "assessor_id"),
    )


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


def _choice(
    name: str,
    allowed: Collection[str],
    label: str,
    messages: list[str],
    source: Mapping[str, str] | None = None,
) -> str | None:
    """A filter's value (from the query string, or `source`) if it is one of the choices; else
    no filter, and a message saying so (a stale link or a hand-edited URL, not worth a 400)."""
    raw = (request.args if source is None else source).get(name, "").strip()
    if not raw:
        return None
    if raw in allowed:
        return raw
    messages.append(f"There is no {label} “{raw[:20]}” to filter by: showing every {label}.")
    return None


@dataclass(frozen=True)
class Choices:
    """What the proposal can be filtered by: the assessors in it, groups, elements, types."""

    assessors: list[tuple[int, str]]
    groups: Sequence[Cohort]
    elements: Sequence[Element]
    types: list[tuple[str, str]]
    stages: tuple[Stage, ...] = tuple(Stage)


def _filters(
    worked: services.Worked, source: Mapping[str, str] | None = None
) -> tuple[services.Filters, Choices, list[str]]:
    choices = Choices(
        [(s.assessor_id, s.assessor_name) for s in worked.shares],
        accounts.list_cohorts(),
        qualifications.list_elements(),
        sorted((t.id, t.title) for t in evidence_services.evidence_types().values()),
    )
    messages: list[str] = []
    assessor = _choice(
        "assessor", {str(a) for a, _ in choices.assessors}, "assessor", messages, source
    )
    group = _choice("group", {str(g.id) for g in choices.groups}, "learner group", messages, source)
    element = _choice("element", {e.id for e in choices.elements}, "element", messages, source)
    kind = _choice("type", {t for t, _ in choices.types}, "evidence type", messages, source)
    stage = _choice("stage", {s.value for s in Stage}, "stage", messages, source)
    filters = services.Filters(
        int(assessor) if assessor else None,
        int(group) if group else None,
        element,
        kind,
        Stage(stage) if stage else None,
    )
    return filters, choices, messages


def _proposal_page(
    form: PeriodForm,
    period: services.Period,
    error: str | None = None,
    status: int = 200,
    source: Mapping[str, str] | None = None,
) -> tuple[str, int]:
    """The proposal, filtered as the query string (or, after a refused take, `source`) says."""
    worked = services.propose_sample(current_user, period)
    filters, choices, messages = _filters(worked, source)
    shown = services.proposal_page(current_user, period, filters, page_arg(), worked=worked)
    take = TakeSampleForm(
        formdata=None,
        data={
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "fingerprint": shown.fingerprint,
            **filters.as_dict(),
        },
    )
    if form.errors:
        status = 422
    return render_template(
        "iqa/propose.html",
        form=form,
        take=take,
        period=period,
        proposal=shown,
        filters=filters,
        choices=choices,
        messages=messages,
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
        sample = services.take_proposal(
            current_user,
            period,
            form.filters(),
            form.fingerprint.data or "",
            form.shown.data or [],
            form.decision.data or [],
        )
    except services.Refused as refused:
        shown = PeriodForm(formdata=None, data={"since": period.since, "until": period.until})
        return _proposal_page(shown, period, str(refused), 422, form.filters().as_dict())
    flash(f"Sample taken: {sample.parameters['taken']} decisions to review.", "success")
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
    services.resolve(found.id)
    items = services.sample_items(found, page_arg())
    return render_template(
        "iqa/sample.html",
        sample=found,
        items=items,
        tally=services.tallies([found.id]).get(found.id, services.Tally()),
        answers=services.answers_for(items.items),
        Verdict=Verdict,
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
    services.resolve(found.sample_id)  # marks a disagreement resolved once answered
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
    assessors = countersigning.awaiting_by_assessor(current_user)
    messages: list[str] = []
    chosen = _choice("assessor", {str(a.assessor_id) for a in assessors}, "assessor", messages)
    assessor_id = int(chosen) if chosen else None
    return render_template(
        "iqa/countersignatures.html",
        decisions=countersigning.awaiting_page(current_user, page_arg(), assessor_id),
        assessors=assessors,
        assessor_id=assessor_id,
        messages=messages,
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
