"""Taking misconception quizzes and reading what each wrong answer reveals."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.security import roles_required
from portfolio.qualifications import services as qualifications
from portfolio.quizzes import analytics as stats
from portfolio.quizzes import services
from portfolio.quizzes.feedback import feedback_for, pages_correcting
from portfolio.quizzes.forms import build_attempt_form
from portfolio.quizzes.models import Attempt, AttemptMode

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = services.get_attempt(current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


@bp.get("/analytics")
@roles_required(Role.TUTOR, Role.ADMIN)
def analytics() -> str:
    """Per question facility and discrimination; per misconception who holds it now, overall
    and by learner group."""
    quizzes = services.list_quizzes()
    misconceptions = stats.misconception_stats()
    heatmap = stats.cohort_heatmap()
    return render_template(
        "quizzes/analytics.html",
        questions={q.id: stats.question_stats(q) for q in quizzes},
        quizzes=quizzes,
        misconceptions=misconceptions,
        heatmap=heatmap,
        chart=heatmap.chart(),
        min_attempts=stats.MIN_ATTEMPTS,
        pages={
            m.misconception.id: [(p.id, p.title) for p in pages_correcting(m.misconception)]
            for m in misconceptions
            if m.holders_now
        },
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


@bp.get("/")
@roles_required(Role.LEARNER)
def index() -> str:
    return render_template(
        "quizzes/index.html",
        quizzes=services.list_quizzes(),
        attempts=services.list_attempts(current_user),
        due=len(services.due_reviews(current_user)),
        next_review=services.next_review_at(current_user),
        open_review=services.open_review(current_user),
        modes=(AttemptMode.PRACTICE, AttemptMode.TEST),
    )


@bp.get("/misconceptions")
@roles_required(Role.LEARNER)
def misconceptions() -> str:
    """The learner's own list: what each misconception is, why it is wrong, where to revise."""
    held = services.held_misconceptions(current_user)
    return render_template(
        "quizzes/misconceptions.html",
        held=held,
        pages={h.misconception_id: pages_correcting(h.misconception) for h in held},
        cleared=services.cleared_misconceptions(current_user),
        due=len(services.due_reviews(current_user)),
    )


@bp.post("/<quiz_id>/attempts")
@roles_required(Role.LEARNER)
def start(quiz_id: str) -> Response:
    quiz = services.get_quiz(quiz_id)
    if quiz is None:
        abort(404)
    try:
        mode = AttemptMode(request.form.get("mode", AttemptMode.TEST.value))
    except ValueError:
        abort(400)
    if mode is AttemptMode.REVIEW:
        abort(400)
    attempt = services.start_attempt(current_user, quiz, mode)
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@bp.post("/review")
@roles_required(Role.LEARNER)
def review() -> Response:
    """Ask again, on a later day, the misconceptions this learner has shown."""
    attempt = services.start_review(current_user)
    if attempt is None:
        flash("Nothing is due for review yet.", "success")
        return redirect(url_for("quizzes.index"))
    return redirect(url_for("quizzes.take", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@roles_required(Role.LEARNER)
def take(attempt_id: int) -> str | Response:
    attempt = _own_attempt(attempt_id)
    if attempt.submitted_at is not None:
        if request.method == "POST":
            flash(services.ALREADY_SUBMITTED, "error")
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    if attempt.mode is AttemptMode.TEST:
        return _take_test(attempt)
    return _take_one(attempt)


def _take_test(attempt: Attempt) -> str | Response:
    """A test: every question on one page, feedback and a score at the end."""
    shown = services.shown_questions(attempt)
    form = build_attempt_form(shown)
    error = None
    if form.validate_on_submit():
        try:
            services.submit_attempt(attempt, form.responses())
        except services.AttemptError as exc:
            error = str(exc)
        else:
            return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    elif form.question_errors:
        count = len(form.question_errors)
        error = f"{count} of your answers need{'s' if count == 1 else ''} attention: see below."
    return render_template(
        "quizzes/take.html", attempt=attempt, form=form, shown=shown, error=error
    )


def _take_one(attempt: Attempt) -> str | Response:
    """Practice and review: one question a page, with feedback straight after it."""
    current = services.next_unanswered(attempt)
    if current is None:  # every question answered but not finished: cannot happen
        abort(409)
    form = build_attempt_form([current])
    error = None
    if request.method == "POST":
        number = request.form.get("number", type=int)
        if number != current.number:
            flash("That question was already answered; your first answer stands.", "error")
            return redirect(url_for("quizzes.take", attempt_id=attempt.id))
        if form.validate_on_submit():
            try:
                services.answer_question(attempt, number, form.response_for(current))
            except services.AttemptError as exc:
                error = str(exc)
            else:
                return redirect(url_for("quizzes.feedback", attempt_id=attempt.id, number=number))
        elif form.question_errors:
            error = "Your answer needs attention: see below."
    return render_template(
        "quizzes/take.html",
        attempt=attempt,
        form=form,
        shown=[current],
        error=error,
        total=len(attempt.layout),
    )


@bp.get("/attempts/<int:attempt_id>/answers/<int:number>")
@roles_required(Role.LEARNER)
def feedback(attempt_id: int, number: int) -> str:
    """Feedback on one answered question of a practice or review attempt."""
    attempt = _own_attempt(attempt_id)
    shown = services.shown_questions(attempt)
    if not 1 <= number <= len(shown) or shown[number - 1].answer is None:
        abort(404)
    return render_template(
        "quizzes/feedback.html",
        attempt=attempt,
        item=feedback_for(shown[number - 1]),
        total=len(shown),
    )


@bp.get("/attempts/<int:attempt_id>/result")
@roles_required(Role.LEARNER)
def result(attempt_id: int) -> str | Response:
    attempt = _own_attempt(attempt_id)
    if attempt.submitted_at is None:
        return redirect(url_for("quizzes.take", attempt_id=attempt.id))
    items = [feedback_for(s) for s in services.shown_questions(attempt)]
    return render_template("quizzes/result.html", attempt=attempt, items=items)
