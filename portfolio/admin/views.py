"""User administration: create users, assign learners to assessors and put them in groups."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from portfolio.admin.forms import (
    AssignCohortForm,
    AssignForm,
    CohortForm,
    CreateUserForm,
    cohort_options,
)
from portfolio.auth import services as accounts
from portfolio.auth.models import Role
from portfolio.core.security import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> str | Response:
    assessors = accounts.users_with_role(Role.ASSESSOR)
    form = CreateUserForm(assessors)
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
    return render_template(
        "admin/users.html",
        form=form,
        users=accounts.list_users(),
        assessor_options=[("", "No assessor")] + [(str(a.id), a.name) for a in assessors],
        cohort_options=cohort_options(accounts.list_cohorts()),
        Role=Role,
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
    return redirect(url_for("admin.users"))


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
    return render_template(
        "admin/cohorts.html",
        form=form,
        cohorts=accounts.list_cohorts(),
        sizes=accounts.cohort_sizes(),
    )


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
    return redirect(url_for("admin.users"))
