"""User administration: create users, assign learners to assessors and put them in groups."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portfolio.admin import listing
from portfolio.admin.forms import (
    AssignCohortForm,
    AssignForm,
    CohortForm,
    CreateUserForm,
    UserFilterForm,
    cohort_options,
    draw_once,
    offered,
)
from portfolio.auth import services as accounts
from portfolio.auth.models import Role
from portfolio.core.args import parse_id
from portfolio.core.paging import page_arg
from portfolio.core.security import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _choice(value: str | None) -> int | str | None:
    """A filter's value: an id, "none", or None for any."""
    if value == accounts.NOBODY:
        return accounts.NOBODY
    return parse_id(value)


def _filters(form: UserFilterForm) -> accounts.UserFilter:
    return accounts.UserFilter(
        text=form.q.data or "",
        role=Role(form.role.data) if form.role.data else None,
        cohort_id=_choice(form.group.data),
        assessor_id=_choice(form.assessed_by.data),
        active={"yes": True, "no": False}.get(form.account.data or ""),
    )


def _back_to_list() -> Response:
    """Back where the change was made (a user's page, or the users list with the same filters
    and page), if that was this site's users pages; otherwise the plain list."""
    here = url_for("admin.users")
    came_from = urlsplit(request.referrer or "")
    ours = came_from.path == here or came_from.path.startswith(here + "/")
    if came_from.netloc == request.host and ours and came_from.path.count("/") <= 3:
        return redirect(came_from.path + (f"?{came_from.query}" if came_from.query else ""))
    return redirect(here)


def _list_url(back: str) -> str:
    """The users list with the filters it had (`back`, its query string) when a user was
    opened from it; only a query string, so it can only lead back to this list."""
    query = back.split("#")[0].lstrip("?")
    return url_for("admin.users") + (f"?{query}" if query and "/" not in query else "")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> tuple[str, int] | Response:
    assessors = listing.people_with_role(Role.ASSESSOR)
    cohorts = listing.groups()
    # Both forms offer every assessor: their choices are built once.
    assessor_choices = offered(assessors)
    form = CreateUserForm(assessor_choices)
    if form.validate_on_submit():
        assessor = accounts.get_user(int(form.assessor.data)) if form.assessor.data else None
        try:
            user = accounts.create_user(
                form.email.data,
                form.name.data,
                form.password.data,
                [Role(r) for r in form.roles.data],
                assessor=assessor,
            )
        except accounts.AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"Created {user.name} ({user.email}).", "success")
            return redirect(url_for("admin.users"))
    filter_form = UserFilterForm(assessor_choices, offered(cohorts), formdata=request.args)
    valid = not request.args or filter_form.validate()
    filters = _filters(filter_form) if valid else accounts.UserFilter()
    back = request.query_string.decode("utf-8", "replace")
    # Each row's link differs only in the user's id: built once here rather than by url_for
    # on each of 50 rows, as (before the id, after it).
    link = url_for("admin.user", user_id=0, back=back or None)
    path, _, query = link.partition("?")
    # Names for the page's rows from the lists already loaded for the forms: a row shows
    # its learner's assessor and group as text, changed on the user's own page (a select
    # of every assessor on each of 50 rows made the page grow with the staff).
    text = listing.RowText(
        assessor_names={a.id: a.name for a in assessors},
        group_names={c.id: c.name for c in cohorts},
        link=(path.rsplit("/", 1)[0] + "/", f"?{query}" if query else ""),
    )
    return render_template(
        "admin/users.html",
        form=form,
        filter_form=filter_form,
        found=listing.user_page(filters, page_arg(), text),
        draw_once=draw_once,
        # What each form's fields are drawn from, when that is all their HTML depends on:
        # the choices and the data (no errors, and the create form as it first comes).
        create_fields=None if form.is_submitted() else ("create", tuple(assessors)),
        filter_fields=None
        if filter_form.errors
        else ("filters", tuple(assessors), tuple(cohorts), tuple(f.data for f in filter_form)),
    ), (200 if valid else 422)


@bp.get("/users/<int:user_id>")
@roles_required(Role.ADMIN)
def user(user_id: int) -> str:
    person = accounts.get_user(user_id)
    if person is None:
        abort(404)
    return render_template(
        "admin/user.html",
        person=person,
        assessor_options=[("", "No assessor")]
        + [(str(a.id), a.name) for a in accounts.users_with_role(Role.ASSESSOR)],
        cohort_options=cohort_options(accounts.list_cohorts()),
        back_url=_list_url(request.args.get("back", "")),
    )


@bp.post("/users/<int:user_id>/assessor")
@roles_required(Role.ADMIN)
def assign(user_id: int) -> Response:
    learner = accounts.get_user(user_id)
    if learner is None:
        abort(404)
    form = AssignForm(accounts.users_with_role(Role.ASSESSOR))
    if not form.validate_on_submit():
        abort(400)
    assessor = accounts.get_user(int(form.assessor.data)) if form.assessor.data else None
    try:
        accounts.assign_assessor(learner, assessor)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"{learner.name} is now assessed by {assessor.name if assessor else 'nobody'}.",
            "success",
        )
    return _back_to_list()


@bp.route("/cohorts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def cohorts() -> str | Response:
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = accounts.create_cohort(form.name.data)
        except accounts.AccountError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Created the group {cohort.name}.", "success")
            return redirect(url_for("admin.cohorts"))
    return render_template("admin/cohorts.html", form=form, found=accounts.cohort_page(page_arg()))


@bp.post("/users/<int:user_id>/cohort")
@roles_required(Role.ADMIN)
def assign_cohort(user_id: int) -> Response:
    learner = accounts.get_user(user_id)
    if learner is None:
        abort(404)
    form = AssignCohortForm(accounts.list_cohorts())
    if not form.validate_on_submit():
        abort(400)
    cohort = accounts.get_cohort(int(form.cohort.data)) if form.cohort.data else None
    try:
        accounts.assign_cohort(learner, cohort)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{learner.name} is now in {cohort.name if cohort else 'no group'}.", "success")
    return _back_to_list()
