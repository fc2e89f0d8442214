"""The home page: what each role has to do next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from portfolio.assessment import services as assessment
from portfolio.auth import services as accounts
from portfolio.auth.models import Role
from portfolio.content import services as content
from portfolio.core.security import login_required
from portfolio.dashboard import services
from portfolio.evidence import services as evidence
from portfolio.quizzes import services as quizzes

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index() -> str:
    user = current_user
    return render_template(
        "dashboard/index.html",
        Role=Role,
        evidence=evidence.list_for_learner(user) if user.has_role(Role.LEARNER) else [],
        overview=services.learner_overview(user) if user.has_role(Role.LEARNER) else None,
        progress=content.progress(user) if user.has_role(Role.LEARNER) else [],
        suggestions=quizzes.open_suggestions(user) if user.has_role(Role.LEARNER) else [],
        reviews_due=len(quizzes.due_reviews(user)) if user.has_role(Role.LEARNER) else 0,
        queue=assessment.queue(user) if user.has_role(Role.ASSESSOR) else [],
        overdue=assessment.overdue_decisions() if user.has_role(Role.IQA) else [],
        learners=accounts.visible_learners(user),
    )
