"""The audit trail for admins and internal quality assurers: filter, read, check the chain."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portfolio.audit import services
from portfolio.audit.forms import AuditFilterForm
from portfolio.auth import services as accounts
from portfolio.auth.models import Role
from portfolio.core.security import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.get("/")
@roles_required(Role.ADMIN, Role.IQA)
def index() -> tuple[str, int]:
    users = accounts.list_users()
    form = AuditFilterForm(services.actions(), users, formdata=request.args)
    filters = services.AuditFilter()
    valid = not request.args or form.validate()
    if valid:
        filters = services.AuditFilter(
            action=form.action.data or "",
            actor_id=_id(form.actor.data),
            learner_id=_id(form.learner.data),
            since=form.since.data,
            until=form.until.data,
        )
    page = services.list_entries(filters, request.args.get("page", 1, type=int))
    names = {u.id: u.name for u in users}
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        names=names,
        args=args,
        chain=services.check_chain(),
    ), (200 if valid else 422)
