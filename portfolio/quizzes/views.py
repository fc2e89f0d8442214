"""Taking misconception quizzes and reading what each wrong answer reveals."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.args import parse_id
from portfolio.core.links import path_links
from portfolio.core.paging import page_arg, text_arg
from portfolio.core.security import roles_required
from portfolio.qualifications import services as qualifications
from portfolio.quizzes import analytics as stats
from portfolio.quizzes import services
from portfolio.quizzes.feedback import distinct_lists, feedback_for, page_links_each
from portfolio.quizzes.forms import build_attempt_form
from portfolio.quizzes.models import Attempt, AttemptMode, Quiz

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")


def _own_attempt(attempt_id: int) -> Attempt:
    attempt = services.get_attempt(current_user, attempt_id)
    if attempt is None:
        abort(404)
    return attempt


def _choice(
    name: str, allowed: Collection[str], noun: str, notes: list[str], instead: str = ""
) -> str | None:
    """A filter from the query string that must be one of `allowed`; anything else is
    ignored, with a note saying so (and what is shown `instead`)."""
    value = text_arg(name, 128)
    if not value:
        return None
    if value not in allowed:
        notes.append(f"There is no {noun} “{value[:40]}”: {instead or f'showing every {noun}'}.")
        return None
    return value


def _groups(notes: list[str]) -> set[int | None] | None:
    """?group=<id> (repeatable; "none" for the learners in no group): the heatmap's columns."""
    raw = [v.strip() for v in request.args.getlist("group") if v.strip()]
    if not raw:
        return None
    chosen: set[int | None] = set()
    for value in raw:
        if value == "none":
            chosen.add(None)
        elif (group := parse_id(value)) is not None:
            chosen.add(group)
        else:
            notes.append("A group in the link is not valid: showing every group.")
            return None
    return chosen


@bp.get("/analytics")
@roles_required(Role.TUTOR, Role.ADMIN)
def analytics() -> str:
    """Per question facility and discrimination; per misconception who holds it now, overall
    and by learner group. Each table a page at a time, narrowed by element, quiz and group."""
    notes: list[str] = []
    quizzes = services.list_quiz_choices()
    elements = {q.element_id: q.element.title for q in quizzes}
    element = _choice("element", elements, "element", notes)
    # The questions are shown a quiz at a time: the one chosen, else the first (of the
    # element chosen), so their figures cost that quiz's attempts, not the centre's.
    shown = [q for q in quizzes if element is None or q.element_id == element]
    quiz_id = _choice(
        "quiz", {q.id for q in shown}, "quiz", notes, "showing the first quiz's questions"
    )
    filters = stats.Filters(element_id=element, quiz_id=quiz_id or (shown[0].id if shown else None))
    groups = _groups(notes)
    questions = stats.question_page(filters, page_arg("qpage"))
    misconceptions = stats.misconception_page(page_arg("mpage"), element_id=filters.element_id)
    heatmap = stats.cohort_heatmap(
        element_id=filters.element_id, groups=groups, asked=page_arg("hpage")
    )
    if groups is not None and heatmap.ignored_groups:
        notes.append("None of the groups in the link exist: showing every group.")
    if heatmap.more_groups:
        notes.append(
            f"The heatmap compares at most {stats.MAX_COLUMNS} groups: it shows the first "
            f"{len(heatmap.columns)}. Choose the groups to compare under “Learner groups”."
        )
    held = [m.misconception for m in misconceptions.items if m.holders_now]
    lists, options_of = distinct_lists(page_links_each((m.id, m.element_id) for m in held))
    return render_template(
        "quizzes/analytics.html",
        notes=notes,
        quizzes=quizzes,
        shown_quizzes=shown,
        elements=sorted(elements.items(), key=lambda e: (e[1], e[0])),
        filters=filters,
        groups=groups,
        questions=questions,
        by_quiz=_by_quiz(questions.items, {q.id: q for q in quizzes}),
        misconceptions=misconceptions,
        heatmap=heatmap,
        chart=heatmap.chart(),
        min_attempts=stats.MIN_ATTEMPTS,
        option_lists=[[(p.id, p.title) for p in found] for found in lists],
        options_of=options_of,
        send_addresses=path_links("quizzes.send", "misconception_id", options_of),
    )


def _by_quiz(
    items: Sequence[stats.QuestionStats], quizzes: Mapping[str, Quiz]
) -> list[tuple[Quiz, list[stats.QuestionStats]]]:
    """A page of question figures as one table per quiz, in the page's order."""
    tables: list[tuple[Quiz, list[stats.QuestionStats]]] = []
    for item in items:
        if not tables or tables[-1][0].id != item.question.quiz_id:
            tables.append((quizzes[item.question.quiz_id], []))
        tables[-1][1].append(item)
    return tables


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
    """The quizzes to take (a page at a time, of one element if chosen), the learner's
    review, and their own attempts (a page at a time)."""
    notes: list[str] = []
    elements = {q.element_id: q.element.title for q in services.list_quiz_choices()}
    element = _choice("element", elements, "element", notes)
    return render_template(
        "quizzes/index.html",
        notes=notes,
        elements=sorted(elements.items(), key=lambda e: (e[1], e[0])),
        element=element,
        quizzes=services.quiz_page(page_arg(), element),
        attempts=services.attempt_page(current_user, page_arg("apage")),
        due=services.count_due_reviews(current_user),
        next_review=services.next_review_at(current_user),
        open_review=services.open_review(current_user),
        modes=(AttemptMode.PRACTICE, AttemptMode.TEST),
    )


@bp.get("/misconceptions")
@roles_required(Role.LEARNER)
def misconceptions() -> str:
    """The learner's own list: what each misconception is, why it is wrong, where to revise;
    a page at a time, and the cleared ones a page at a time after them."""
    held = services.held_page(current_user, page_arg())
    lists, list_of = distinct_lists(
        page_links_each((h.misconception_id, h.element_id) for h in held.items)
    )
    # The template writes each distinct list of links once; their addresses come from one
    # url_for (core.links.path_links), not one per page.
    urls = path_links("content.show", "slug", {p.slug for found in lists for p in found})
    return render_template(
        "quizzes/misconceptions.html",
        held=held,
        link_lists=[[(urls[p.slug], p.title) for p in found] for found in lists],
        list_of=list_of,
        cleared=services.cleared_page(current_user, page_arg("cpage")),
        due=services.count_due_reviews(current_user),
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
