"""The home page: what each role has to do next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portfolio.assessment import caseload_views
from portfolio.assessment import services as assessment
from portfolio.auth.models import Role
from portfolio.content import services as content
from portfolio.core.paging import PageArg
from portfolio.core.security import login_required
from portfolio.dashboard import services
from portfolio.evidence import services as evidence
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
    items = evidence.list_for_learner(user) if learner else []
    reviews_due = quizzes.count_due_reviews(user) if learner else 0
    return render_template(
        "dashboard/index.html",
        Role=Role,
        evidence=items,
        overview=services.learner_overview(user, items, reviews_due) if learner else None,
        progress=content.progress(user) if learner else [],
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
        links=caseload_views.row_links() if user.has_role(Role.IQA) else {},
        # An assessor's own learners, a page of them; IQAs and admins (every learner) search.
        learners=(
            assessment.learner_page(user, assessment.CohortFilter(assessment.Scope.MINE), PageArg())
            if user.has_role(Role.ASSESSOR) and not overseer
            else None
        ),
        every_learner=(
            assessment.learner_count(user, assessment.CohortFilter(assessment.Scope.ALL))
            if overseer
            else 0
        ),
    )
