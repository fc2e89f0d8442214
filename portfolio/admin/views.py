"""User administration: create users and assign learners to assessors."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from portfolio.admin.forms import AssignForm, CreateUserForm
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
