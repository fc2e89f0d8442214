"""Revision pages: learners browse, search, read and mark pages read; tutors write, preview,
publish, compare and restore revisions, and see which pages are due for review."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.content import services
from portfolio.content.forms import (
    CompareForm,
    EditPageForm,
    NewPageForm,
    PageForm,
    RestoreForm,
    SearchForm,
    citations,
)
from portfolio.content.models import Page, PageRevision, PageStatus
from portfolio.core.args import int_arg
from portfolio.core.security import login_required, roles_required
from portfolio.qualifications import services as qualifications

bp = Blueprint("content", __name__, url_prefix="/pages")
EDITORS = (Role.TUTOR, Role.ADMIN)
REVIEW_WINDOW_DAYS = 30

F = TypeVar("F", bound=PageForm)


def _is_editor() -> bool:
    return bool(current_user.has_role(*EDITORS))


def _is_learner() -> bool:
    return bool(current_user.has_role(Role.LEARNER))


def _page_or_404(slug: str, include_unpublished: bool) -> Page:
    page = services.get_page(slug, include_unpublished=include_unpublished)
    if page is None:
        abort(404)
    return page


def _revision_or_404(page: Page, number: int) -> PageRevision:
    revision = services.get_revision(page, number)
    if revision is None:
        abort(404)
    return revision


def _page_form(form_class: type[F], **kwargs: Any) -> F:
    return form_class(
        qualifications.list_elements(), qualifications.list_misconceptions(), **kwargs
    )


def _form_data(fields: services.PageFields) -> dict[str, object]:
    return {
        "title": fields.title,
        "element_id": fields.element_id,
        "marking_points": list(fields.marking_points),
        "misconceptions": list(fields.misconceptions),
        "legislation": "\n".join(fields.legislation),
        "reviewed_on": fields.reviewed_on,
        "review_by": fields.review_by,
        "status": fields.status.value,
        "body": fields.body,
    }


def _page_fields(form: PageForm) -> services.PageFields:
    return services.PageFields(
        title=form.title.data,
        body=form.body.data,
        status=PageStatus(form.status.data),
        element_id=form.element_id.data,
        marking_points=tuple(form.marking_points.data or ()),
        misconceptions=tuple(form.misconceptions.data or ()),
        legislation=citations(form.legislation.data),
        reviewed_on=form.reviewed_on.data,
        review_by=form.review_by.data,
    )


def _previewing(form: PageForm) -> bool:
    """The tutor pressed Preview: check the fields so mistakes show early, but save nothing."""
    if not (form.is_submitted() and request.form.get("action") == "preview"):
        return False
    form.validate()
    return True


def _shown_preview(form: PageForm, preview: bool) -> bool:
    """A preview is rendered only for text within the limit: over it, the message is enough."""
    return preview and not form.body.errors


def _status(form: PageForm, problems: list[str]) -> int:
    return 422 if form.errors or problems else 200


@bp.get("/")
@login_required
def index() -> str:
    editor, learner = _is_editor(), _is_learner()
    pages: dict[str, list[Page]] = defaultdict(list)
    for page in services.list_pages(editor):
        pages[page.element_id].append(page)
    return render_template(
        "content/index.html",
        qualifications=qualifications.list_qualifications(),
        pages=pages,
        progress={p.element.id: p for p in services.progress(current_user)} if learner else {},
        read=services.read_page_ids(current_user) if learner else set(),
        editor=editor,
        learner=learner,
        search_form=SearchForm(formdata=None),
    )


@bp.get("/search")
@login_required
def search() -> tuple[str, int]:
    form = SearchForm(request.args)
    hits = None
    if form.q.data and form.validate():
        hits = services.search_pages(form.q.data)
    return render_template("content/search.html", search_form=form, hits=hits), (
        422 if form.errors else 200
    )


@dataclass(frozen=True)
class Due:
    page: Page
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@bp.get("/review")
@roles_required(*EDITORS)
def review() -> str:
    today = date.today()
    due = [
        Due(page, (page.review_by - today).days)
        for page in services.pages_due_for_review(today, REVIEW_WINDOW_DAYS)
        if page.review_by is not None
    ]
    return render_template("content/review.html", due=due, today=today, window=REVIEW_WINDOW_DAYS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create() -> tuple[str, int] | Response:
    form = _page_form(NewPageForm, data={"status": PageStatus.DRAFT.value})
    problems: list[str] = []
    preview = _previewing(form)
    if not preview and form.validate_on_submit():
        try:
            page = services.create_page(current_user, form.slug.data, _page_fields(form))
        except services.PageError as error:
            if services.get_page(form.slug.data, include_unpublished=True) is not None:
                form.slug.errors.append(str(error))
            else:
                problems.append(str(error))
        else:
            flash(f"Created “{page.title}” ({page.status.value}).", "success")
            return redirect(url_for("content.show", slug=page.slug))
    return render_template(
        "content/new.html", form=form, preview=_shown_preview(form, preview), problems=problems
    ), _status(form, problems)


@bp.get("/<slug>")
@login_required
def show(slug: str) -> str:
    page = _page_or_404(slug, include_unpublished=_is_editor())
    # Reading is recorded for published pages only: those are what progress counts.
    can_mark_read = _is_learner() and page.status is PageStatus.PUBLISHED
    return render_template(
        "content/show.html",
        page=page,
        editor=_is_editor(),
        can_mark_read=can_mark_read,
        read_at=services.read_at(current_user, page) if can_mark_read else None,
        search_form=SearchForm(formdata=None),
    )


@bp.post("/<slug>/read")
@roles_required(Role.LEARNER)
def read(slug: str) -> Response:
    page = _page_or_404(slug, include_unpublished=False)
    services.mark_read(current_user, page)
    flash(f"Marked “{page.title}” as read.", "success")
    return redirect(url_for("content.show", slug=page.slug))


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(slug: str) -> tuple[str, int] | Response:
    page = _page_or_404(slug, include_unpublished=True)
    data = _form_data(services.PageFields.from_page(page))
    if request.method == "GET":
        data["version"] = str(page.version)
    # A field a POST leaves out keeps its stored value (WTForms falls back to `data`), except
    # the version: a save must always say which version it was made from.
    form = _page_form(EditPageForm, data=data)
    conflict = None
    problems: list[str] = []
    preview = _previewing(form)
    if not preview and form.validate_on_submit():
        try:
            version = int(form.version.data)
        except ValueError:
            abort(400)
        try:
            services.save_page(
                page, current_user, _page_fields(form), version, note=form.note.data or ""
            )
        except services.StaleEdit as stale:
            conflict = stale.current
            # Saving again now means "mine replaces theirs", knowingly.
            form.version.data = str(conflict.version)
        except services.PageError as error:
            problems.append(str(error))
        else:
            flash(f"Saved “{page.title}” ({page.status.value}).", "success")
            return redirect(url_for("content.show", slug=page.slug))
    return render_template(
        "content/edit.html",
        form=form,
        page=page,
        conflict=conflict,
        preview=_shown_preview(form, preview),
        problems=problems,
    ), (409 if conflict else _status(form, problems))


@bp.get("/<slug>/history")
@roles_required(*EDITORS)
def history(slug: str) -> str:
    page = _page_or_404(slug, include_unpublished=True)
    revisions = list(reversed(page.revisions))
    numbers = [r.number for r in revisions]
    # By default the form compares the two newest revisions.
    default = {"from_": str(numbers[1]), "to": str(numbers[0])} if len(numbers) > 1 else None
    compare = CompareForm(numbers, formdata=None, data=default)
    return render_template("content/history.html", page=page, revisions=revisions, compare=compare)


@bp.get("/<slug>/revisions/<int:number>")
@roles_required(*EDITORS)
def revision(slug: str, number: int) -> str:
    page = _page_or_404(slug, include_unpublished=True)
    return render_template(
        "content/revision.html",
        page=page,
        revision=_revision_or_404(page, number),
        current=page.revisions[-1].number,
    )


@bp.post("/<slug>/revisions/<int:number>/restore")
@roles_required(*EDITORS)
def restore(slug: str, number: int) -> Response:
    page = _page_or_404(slug, include_unpublished=True)
    _revision_or_404(page, number)
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = int(form.version.data)
    except ValueError:
        abort(400)
    try:
        services.restore_revision(page, number, current_user, version)
    except services.StaleEdit:
        flash(
            "Nothing was restored: the page was saved again after you opened its history. "
            "Check the newest revision below, then restore again if you still want to.",
            "error",
        )
    else:
        flash(
            f"Restored revision {number}: it is now revision {page.revisions[-1].number}.",
            "success",
        )
    return redirect(url_for("content.history", slug=page.slug))


@bp.get("/<slug>/diff")
@roles_required(*EDITORS)
def diff(slug: str) -> str:
    page = _page_or_404(slug, include_unpublished=True)
    old_number, new_number = int_arg("from"), int_arg("to")
    if not page.revisions:
        abort(404)
    if new_number is None:
        new_number = page.revisions[-1].number
    if old_number is None:
        old_number = max(new_number - 1, 1)  # by default, a revision against the one before
    old, new = _revision_or_404(page, old_number), _revision_or_404(page, new_number)
    return render_template(
        "content/diff.html",
        page=page,
        old=old,
        new=new,
        diff=services.diff_revisions(old, new),
    )
