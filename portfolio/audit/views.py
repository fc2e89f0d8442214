"""The audit trail for admins and internal quality assurers: filter, read, check the chain."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portfolio.audit import services
from portfolio.audit.forms import AuditFilterForm
from portfolio.auth.models import Role
from portfolio.core.paging import cursor_arg
from portfolio.core.security import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _id(value: str | None) -> int | None:
    raw = (value or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None


@bp.get("/")
@roles_required(Role.ADMIN, Role.IQA)
def index() -> tuple[str, int]:
    # First, before anything is loaded for the page: the check may commit a new checkpoint.
    chain = services.chain_status()
    form = AuditFilterForm(services.actions(), services.subject_types(), formdata=request.args)
    filters = services.AuditFilter()
    actor = learner = None
    valid = not request.args or form.validate()
    if valid:
        if form.actor.data or form.actor_id.data:
            actor = services.find_person(form.actor.data or "", _id(form.actor_id.data))
        if form.learner.data or form.learner_id.data:
            learner = services.find_person(
                form.learner.data or "", _id(form.learner_id.data), Role.LEARNER
            )
        for match, text_field, id_field in (
            (actor, form.actor, form.actor_id),
            (learner, form.learner, form.learner_id),
        ):
            # The picked person stays picked when other filters change (the hidden id).
            chosen = match.chosen if match else None
            id_field.data = str(chosen.id) if chosen else ""
            if chosen and not text_field.data:
                text_field.data = chosen.name
        filters = services.AuditFilter(
            action=form.action.data or "",
            actor_ids=actor.ids if actor else None,
            learner_ids=learner.ids if learner else None,
            subject_type=form.subject_type.data or "",
            subject_id=(form.subject_id.data or "").strip(),
            since=form.since.data,
            until=form.until.data,
        )
    after, message = cursor_arg()
    page = services.list_entries(filters, after)
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        message=message,
        names=services.names(page.items),
        actor=actor,
        learner=learner,
        chain=chain,
        check_limit=services.CHECK_PER_VIEW,
    ), (200 if valid else 422)
