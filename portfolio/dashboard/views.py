"""The home page: what each role has to do next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from sqlalchemy import Select

from portfolio.assessment import caseload_views, cohort
from portfolio.assessment import services as assessment
from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.core.links import link_format
from portfolio.core.paging import PageArg, Paged, count, paginate
from portfolio.core.security import login_required
from portfolio.dashboard import services
from portfolio.dashboard.services import NextStep
from portfolio.evidence.listing import evidence_rows
from portfolio.quizzes import services as quizzes

bp = Blueprint("dashboard", __name__)


# The first few overdue decisions on an IQA's home page; the rest are a link away.
OVERDUE_SHOWN = 5


@bp.get("/")
@login_required
def index() -> str:
    """Each role's next things to do, in a fixed number of statements: lists that grow with
    the centre show their count and first few, and link to their own paged pages."""
    user = current_user
    overseer = user.has_role(Role.IQA, Role.ADMIN)
    learner = user.has_role(Role.LEARNER)
    # Read once, shown in the cards and summed up in the overview.
    items = evidence_rows(user) if learner else []
    reviews_due = quizzes.count_due_reviews(user) if learner else 0
    overview = services.learner_overview(user, items, reviews_due) if learner else None
    links = _links(user)
    return render_template(
        "dashboard/index.html",
        Role=Role,
        evidence=items,
        overview=overview,
        next_steps=_step_links(overview.next_steps, links) if overview else [],
        counts={g.status.value: len(g.items) for g in overview.groups} if overview else {},
        progress=content.reading_counts(user) if learner else [],
        suggestions=quizzes.open_suggestions(user) if learner else [],
        reviews_due=reviews_due,
        waiting=(
            assessment.waiting_count(assessment.QueueFilter(assessor_id=user.id))
            if user.has_role(Role.ASSESSOR)
            else 0
        ),
        overdue=(
            assessment.overdue_page(assessment.QueueFilter(), PageArg(), size=OVERDUE_SHOWN)
            if user.has_role(Role.IQA)
            else None
        ),
        links=links,
        # An assessor's own learners, a page of them; IQAs and admins (every learner) search.
        learners=_own_learners(user) if user.has_role(Role.ASSESSOR) and not overseer else None,
        every_learner=_every_learner(user) if overseer else 0,
    )


def _own_learners(user: User) -> Paged[Any]:
    """The first page of the assessor's learners (cohort tracking's "mine"), id and name only."""
    query = cohort.learners_query(user, assessment.CohortFilter(assessment.Scope.MINE))
    if query is None:
        return Paged([], 0)
    columns = cast(Select[Any], query.with_only_columns(User.id, User.name))
    return paginate(columns, PageArg(), scalars=False)


def _every_learner(user: User) -> int:
    """How many learners the centre has (cohort tracking's "all", counted on their ids)."""
    query = cohort.learners_query(user, assessment.CohortFilter(assessment.Scope.ALL))
    return 0 if query is None else count(query.with_only_columns(User.id))


def _links(user: User) -> dict[str, str]:
    """The rows' links, each made from one url_for (core.links.link_format)."""
    links = caseload_views.row_links() if user.has_role(Role.IQA) else {}
    if user.has_role(Role.ASSESSOR):
        links["learner"] = link_format("assessment.learner", "learner_id")
        links["export"] = link_format("export.start", "learner_id")
    if user.has_role(Role.LEARNER):
        links["edit"] = link_format("evidence.edit", "evidence_id")
        links["record"] = link_format("assessment.record", "evidence_id")
    return links


def _step_links(steps: Sequence[NextStep], links: dict[str, str]) -> list[tuple[str, str]]:
    """Each next step as (address, text): a step about one item of evidence from its link's
    shape (links, or one url_for for its endpoint), any other by url_for."""
    shapes = {"evidence.edit": links["edit"], "assessment.record": links["record"]}
    found = []
    for step in steps:
        item = step.args.get("evidence_id")
        if item is None or len(step.args) != 1:
            found.append((url_for(step.endpoint, **dict[str, Any](step.args)), step.text))
            continue
        if step.endpoint not in shapes:
            shapes[step.endpoint] = link_format(step.endpoint, "evidence_id")
        found.append((shapes[step.endpoint].format(item), step.text))
    return found
