"""The audit trail for admins and internal quality assurers: filter, read, check the chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.json.provider import DefaultJSONProvider
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from portfolio.audit import services
from portfolio.audit.forms import AuditFilterForm
from portfolio.auth.models import Role
from portfolio.core.args import parse_id
from portfolio.core.paging import cursor_arg, page_links
from portfolio.core.security import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _json_cells() -> Callable[[Any], Markup]:
    """What |tojson draws, for the page's 100 before and after cells, with one JSONEncoder for
    them all: json.dumps makes one per value, which was most of the filter's ~9 us a cell."""
    env = current_app.jinja_env
    kwargs: dict[str, Any] = dict(env.policies["json.dumps_kwargs"])
    dumps: Callable[..., str] = env.policies["json.dumps_function"]
    provider = current_app.json
    if (
        type(provider) is DefaultJSONProvider
        and dumps == provider.dumps
        and set(kwargs) <= {"sort_keys"}
    ):
        # As DefaultJSONProvider.dumps calls json.dumps, which makes this encoder.
        encoder = json.JSONEncoder(
            default=provider.default,
            ensure_ascii=provider.ensure_ascii,
            sort_keys=kwargs.get("sort_keys", provider.sort_keys),
        )

        def dumps(value: Any, **_: Any) -> str:
            return encoder.encode(value)

    return lambda value: htmlsafe_json_dumps(value, dumps=dumps, **kwargs)


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
            actor = services.find_person(form.actor.data or "", parse_id(form.actor_id.data))
        if form.learner.data or form.learner_id.data:
            learner = services.find_person(
                form.learner.data or "", parse_id(form.learner_id.data), Role.LEARNER
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
        subject_link=page_links("subject_type", "subject_id", after=None),
        as_json=_json_cells(),
        actor=actor,
        learner=learner,
        chain=chain,
        check_limit=services.CHECK_PER_VIEW,
    ), (200 if valid else 422)
