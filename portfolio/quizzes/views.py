"""Taking misconception quizzes and reading what each wrong answer reveals."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.content import services as content
from portfolio.content.models import Page
from portfolio.core.security import roles_required
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import analytics as stats
from portfolio.quizzes import services
from portfolio.quizzes.forms import build_attempt_form
from portfolio.quizzes.models import Attempt

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = services.get_attempt(current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


@bp.get("/")
@roles_required(Role.LEARNER)
def index() -> str:
    return render_template(
        "quizzes/index.html",
        quizzes=services.list_quizzes(),
        attempts=services.list_attempts(current_user),
    )


@bp.get("/analytics")
@roles_required(Role.TUTOR, Role.ADMIN)
def analytics() -> str:
    """Per question facility and discrimination; per misconception who holds it now."""
    quizzes = services.list_quizzes()
    misconceptions = stats.misconception_stats()
    return render_template(
        "quizzes/analytics.html",
        questions={q.id: stats.question_stats(q) for q in quizzes},
        quizzes=quizzes,
        misconceptions=misconceptions,
        min_attempts=stats.MIN_ATTEMPTS,
        pages={
            m.misconception.id: [(p.id, p.title) for p in _pages_correcting(m.misconception)]
            for m in misconceptions
            if m.holders_now
        },
    )


def _pages_correcting(misconception: Misconception) -> Sequence[Page]:
    return content.pages_for_misconception(misconception.id) or content.pages_for_element(
        misconception.element_id
    )


@bp.post("/misconceptions/<misconception_id>/send")
@roles_required(Role.TUTOR, Role.ADMIN)
def send(misconception_id: str) -> Response:
    """One click: suggest a revision page to every learner who holds this misconception."""
    misconception = qualifications.get_misconception(misconception_id)
    if misconception is None:
        abort(404)
    try:
        page_id = int(request.form.get("page_id", ""))
        sent = services.send_page_to_holders(current_user, misconception.id, page_id)
    except ValueError:
        flash("Choose a published revision page to send.", "error")
    else:
        flash(f"Sent to {sent} learner{'s' if sent != 1 else ''}.", "success")
    return redirect(url_for("quizzes.analytics"))


@bp.get("/misconceptions")
@roles_required(Role.LEARNER)
def misconceptions() -> str:
    """The learner's own list: what each misconception is, why it is wrong, where to revise."""
    held = services.held_misconceptions(current_user)
    pages = {h.misconception_id: _pages_correcting(h.misconception) for h in held}
    return render_template(
        "quizzes/misconceptions.html",
        held=held,
        pages=pages,
        cleared=services.cleared_misconceptions(current_user),
    )


@bp.post("/<quiz_id>/attempts")
@roles_required(Role.LEARNER)
def start(quiz_id: str) -> Response:
    quiz = services.get_quiz(quiz_id)
    if quiz is None:
        abort(404)
    attempt = services.start_attempt(current_user, quiz)
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@roles_required(Role.LEARNER)
def take(attempt_id: int) -> str | Response:
    attempt = _own_attempt(attempt_id)
    if attempt.submitted_at is not None:
        if request.method == "POST":
            flash("This attempt was already submitted; its answers cannot change.", "error")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    form = build_attempt_form(services.shuffled_options(attempt))
    error = None
    if form.validate_on_submit():
        try:
            services.submit_attempt(attempt, form.chosen())
        except services.AttemptError as exc:
            error = str(exc)
        else:
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    return render_template("quizzes/take.html", attempt=attempt, form=form, error=error)


@bp.get("/attempts/<int:attempt_id>/result")
@roles_required(Role.LEARNER)
def result(attempt_id: int) -> str | Response:
    attempt = _own_attempt(attempt_id)
    if attempt.submitted_at is None:
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    # Each wrong answer links the pages that correct its own misconception, else the
    # element's pages.
    pages = {
        a.option.misconception_id: _pages_correcting(a.option.misconception)
        for a in attempt.answers
        if a.option.misconception is not None
    }
    answers = {a.question_id: a for a in attempt.answers}
    return render_template("quizzes/result.html", attempt=attempt, answers=answers, pages=pages)
