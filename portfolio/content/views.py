"""Revision pages: learners read published pages; tutors edit and publish."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.content import services
from portfolio.content.forms import PageForm
from portfolio.content.models import PageStatus
from portfolio.core.security import login_required, roles_required

bp = Blueprint("content", __name__, url_prefix="/pages")
EDITORS = (Role.TUTOR, Role.ADMIN)


def _is_editor() -> bool:
    return bool(current_user.has_role(*EDITORS))


@bp.get("/")
@login_required
def index() -> str:
    return render_template(
        "content/index.html", pages=services.list_pages(_is_editor()), editor=_is_editor()
    )


@bp.get("/<slug>")
@login_required
def show(slug: str) -> str:
    page = services.get_page(slug, include_unpublished=_is_editor())
    if page is None:
        abort(404)
    return render_template("content/show.html", page=page, editor=_is_editor())


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(slug: str) -> str | Response:
    page = services.get_page(slug, include_unpublished=True)
    if page is None:
        abort(404)
    form = PageForm(obj=page)
    conflict = None
    if form.validate_on_submit():
        try:
            version = int(form.version.data)
        except ValueError:
            abort(400)
        try:
            fields = dataclasses.replace(
                services.PageFields.from_page(page),
                title=form.title.data,
                body=form.body.data,
                status=PageStatus(form.status.data),
            )
            services.save_page(page, current_user, fields, version)
        except services.StaleEdit as stale:
            conflict = stale.current
            # Saving again now means "mine replaces theirs", knowingly.
            form.version.data = str(conflict.version)
        else:
            flash(f"Saved “{page.title}” ({page.status.value}).", "success")
            return redirect(url_for("content.show", slug=page.slug))
    return render_template("content/edit.html", form=form, page=page, conflict=conflict)
