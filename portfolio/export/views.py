"""Exports: starting one (a learner's portfolio, or a cohort's as a ZIP), watching its
progress, downloading it; and an element's revision sheet. A portfolio is for the learner,
their assessor, IQAs and admins; a job only for whoever started it."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from portfolio.assessment import cohort
from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, Role
from portfolio.core import audit
from portfolio.core.paging import cursor_arg
from portfolio.core.render_process import RenderFailed
from portfolio.core.security import login_required, roles_required
from portfolio.export import jobs, links, runner, services, store
from portfolio.export.forms import CohortExportForm, PortfolioExportForm
from portfolio.export.models import ExportJob, JobKind, JobStatus
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications

bp = Blueprint("export", __name__, url_prefix="/export")

# More unfinished exports than this from one person is a stuck finger or a script.
MAX_UNFINISHED = 3
BUSY = (
    f"You already have {MAX_UNFINISHED} exports in progress. Wait for one to finish "
    "(your exports page shows them), then start this one."
)


def _redirect_to(job: ExportJob) -> BaseResponse:
    return BaseResponse(status=303, headers={"Location": url_for("export.job", job_id=job.id)})


def _unfinished() -> int:
    """The person's exports waiting or running, not counting any the queue lost."""
    runner.reap_lost(current_app._get_current_object(), current_user.id)  # type: ignore[attr-defined]
    return jobs.unfinished(current_user)


def _dispatched(started: jobs.Started) -> BaseResponse:
    if started.new:
        runner.dispatch(started.job)
    else:
        flash("That export is already under way: this is it.", "info")
    return _redirect_to(started.job)


@bp.route("/learners/<int:learner_id>", methods=["GET", "POST"])
@login_required
def start(learner_id: int) -> tuple[str, int] | BaseResponse:
    learner = accounts.visible_learner(current_user, learner_id)
    if learner is None:
        abort(404)
    form = PortfolioExportForm(qualifications.list_elements())
    busy = request.method == "POST" and _unfinished() >= MAX_UNFINISHED
    if form.validate_on_submit() and not busy:
        started = jobs.start_portfolio_export(
            current_user, learner, form.chosen(), pdfa=bool(form.pdfa.data)
        )
        return _dispatched(started)
    return render_template(
        "export/start.html", form=form, learner=learner, busy=BUSY if busy else None
    ), (429 if busy else 200)


def _cohort_choice(form: CohortExportForm) -> tuple[cohort.Scope, Cohort | str | None] | None:
    """The cohort page's filters as posted, checked as that page checks them."""
    scopes = cohort.scopes_for(current_user)
    scope = next((s for s in scopes if s.value == (form.learners.data or scopes[0].value)), None)
    raw = form.group.data or ""
    if scope is None:
        return None
    if not raw or raw == cohort.NO_GROUP:
        return scope, raw or None
    group = accounts.get_cohort(int(raw)) if re.fullmatch(r"[0-9]{1,9}", raw) else None
    return None if group is None else (scope, group)


@bp.post("/cohort")
@roles_required(Role.ASSESSOR, Role.IQA, Role.ADMIN)
def start_cohort() -> tuple[str, int] | BaseResponse:
    form = CohortExportForm()
    if not form.validate_on_submit():
        abort(400)
    choice = _cohort_choice(form)
    if choice is None:
        abort(404)
    learners = cohort.cohort_learners(current_user, *choice)
    if not learners:
        return render_template("export/nobody.html"), 422
    if _unfinished() >= MAX_UNFINISHED:
        return render_template("export/nobody.html", busy=BUSY), 429
    scope, group = choice
    if isinstance(group, Cohort):
        label = group.name
    else:
        label = "no-group" if group == cohort.NO_GROUP else "every-group"
        label = f"{scope.label}-{label}"
    started = jobs.start_cohort_export(
        current_user,
        group if isinstance(group, Cohort) else None,
        learners,
        label=label,
        pdfa=bool(form.pdfa.data),
    )
    return _dispatched(started)


@bp.get("/jobs")
@login_required
def job_list() -> str:
    after, message = cursor_arg()
    return render_template(
        "export/jobs.html", found=jobs.job_page(current_user, after), message=message
    )


def _job_or_404(job_id: int) -> ExportJob:
    jobs.reap_stale()  # so a job whose worker died reads as stopped, not running for ever
    runner.reap_lost(current_app._get_current_object(), current_user.id)  # type: ignore[attr-defined]
    job = jobs.job_for(current_user, job_id)
    if job is None:
        abort(404)
    return job


def _download_url(job: ExportJob) -> str | None:
    if job.status is not JobStatus.DONE:
        return None
    return url_for("export.download", job_id=job.id, link=links.make_token(job, current_user))


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int) -> str:
    found = _job_or_404(job_id)
    return render_template(
        "export/job.html",
        job=found,
        progress=jobs.progress(found),
        download_url=_download_url(found),
        link_minutes=links.minutes(),
    )


@bp.get("/jobs/<int:job_id>/status")
@login_required
def status(job_id: int) -> Response:
    found = _job_or_404(job_id)
    now = jobs.progress(found)
    response = jsonify(
        status=now.status.value,
        label=now.status.label,
        stage=now.stage,
        percent=now.percent,
        message=now.message,
        finished=now.status.finished,
        download_url=_download_url(found),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/download")
@login_required
def download(job_id: int) -> str | Response | tuple[str, int]:
    found = _job_or_404(job_id)
    check = links.check_token(request.args.get("link", ""), found, current_user)
    if check is links.LinkCheck.BAD or found.status is not JobStatus.DONE or not found.result:
        abort(404)
    if check is links.LinkCheck.EXPIRED:
        return render_template("export/expired.html", job=found, reason="link"), 410
    if not store.has(found.result):
        return render_template("export/expired.html", job=found, reason="file"), 410
    for learner_id in found.learner_ids:
        audit.record(
            "export.downloaded",
            "export_job",
            found.id,
            actor_id=current_user.id,
            learner_id=learner_id,
        )
    db.session.commit()
    response = send_file(
        store.path_of(found.result),
        mimetype="application/zip" if found.kind is JobKind.COHORT else "application/pdf",
        as_attachment=True,
        download_name=found.download_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/elements/<element_id>/sheet.pdf")
@login_required
def sheet(element_id: str) -> str | Response | tuple[str, int]:
    try:
        pdf = services.export_revision_sheet(element_id, current_user.id)
    except services.SheetsBusy as busy:
        return render_template("errors/generic.html", code=429, message=str(busy)), 429
    except RenderFailed as failure:
        return render_template("errors/generic.html", code=503, message=str(failure)), 503
    if pdf is None:
        abort(404)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="revision-{jobs.slug(element_id)}.pdf"',
            "Cache-Control": "no-store",
        },
    )
