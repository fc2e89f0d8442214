"""The question bank for tutors: list, write, preview, publish, compare and restore questions,
and name new misconceptions. Routes on the quizzes blueprint, under /quizzes/manage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portfolio.auth.models import Role
from portfolio.core.args import int_arg
from portfolio.core.links import path_links
from portfolio.core.paging import page_arg, text_arg
from portfolio.core.security import roles_required
from portfolio.quizzes import authoring, bank
from portfolio.quizzes.authoring_forms import (
    CompareForm,
    MisconceptionForm,
    QuestionForm,
    RestoreForm,
    build_question_form,
    form_data,
)
from portfolio.quizzes.bank_html import question_rows
from portfolio.quizzes.forms import build_attempt_form
from portfolio.quizzes.models import Question, QuestionRevision, QuestionStatus, Quiz
from portfolio.quizzes.services import ShownQuestion
from portfolio.quizzes.spec import QuestionKind
from portfolio.quizzes.views import bp

EDITORS = (Role.TUTOR, Role.ADMIN)


def _quiz_or_404(quiz_id: str) -> Quiz:
    quiz = authoring.get_quiz(quiz_id)
    if quiz is None:
        abort(404)
    return quiz


def _question_or_404(question_id: str) -> Question:
    question = authoring.get_question(question_id)
    if question is None:
        abort(404)
    return question


def _revision_or_404(question: Question, number: int) -> QuestionRevision:
    revision = authoring.question_revision(question, number)
    if revision is None:
        abort(404)
    return revision


def _bank_filters(choices: list[bank.QuizChoice], notes: list[str]) -> bank.BankFilters:
    """The bank's filters from the query string; one naming nothing there is ignored, with a
    note saying so."""
    quizzes = {c.quiz.id for c in choices}
    elements = {c.quiz.element_id for c in choices}
    statuses = {s.value for s in QuestionStatus}
    picked: dict[str, str | None] = {}
    for name, allowed, noun in (
        ("quiz", quizzes, "quiz"),
        ("element", elements, "element"),
        ("status", statuses, "status"),
    ):
        value = text_arg(name, 128)
        if value and value not in allowed:
            notes.append(f"There is no {noun} “{value[:40]}”: showing every {noun}.")
            value = ""
        picked[name] = value or None
    return bank.BankFilters(
        quiz_id=picked["quiz"],
        element_id=picked["element"],
        status=QuestionStatus(picked["status"]) if picked["status"] else None,
        text=text_arg("q"),
    )


def question_addresses(ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each question's (edit, history) addresses, as url_for gives them, each route built
    once per page (core.links.path_links)."""
    ids = list(ids)
    edit = path_links("quizzes.question_edit", "question_id", ids)
    history = path_links("quizzes.question_history", "question_id", ids)
    return {i: (edit[i], history[i]) for i in ids}


def _manage_page() -> str:
    """The bank a page at a time."""
    notes: list[str] = []
    choices = bank.quiz_choices()
    filters = _bank_filters(choices, notes)
    chosen = next((c.quiz for c in choices if c.quiz.id == filters.quiz_id), None)
    found = bank.bank_page(filters, page_arg(), chosen, {c.quiz.id: c.quiz for c in choices})
    addresses = question_addresses(q.id for q in found.page.items)
    filtered = filters != bank.BankFilters()
    return render_template(
        "quizzes/manage/index.html",
        banks=found.banks,
        page=found.page,
        choices=choices,
        elements=sorted(
            {c.quiz.element_id: c.quiz.element_title for c in choices}.items(),
            key=lambda e: (e[1], e[0]),
        ),
        statuses=list(QuestionStatus),
        filters=filters,
        filtered=filtered,
        # Each quiz's table rows (bank_html: written in Python, the page's bulk).
        rows={b.quiz.id: question_rows(b, addresses, filtered=filtered) for b in found.banks},
        notes=notes,
        kinds=list(QuestionKind),
    )


@bp.get("/manage")
@roles_required(*EDITORS)
def manage() -> str:
    """The question bank, 50 questions a page, narrowed by quiz, element, status and words."""
    return _manage_page()


def _misconceptions_page(quiz: Quiz, form: MisconceptionForm | None = None) -> str:
    return render_template(
        "quizzes/manage/misconceptions.html",
        quiz=quiz,
        page=bank.quiz_misconceptions(quiz.id, page_arg()),
        form=form or MisconceptionForm(formdata=None),
    )


@bp.get("/manage/<quiz_id>/misconceptions")
@roles_required(*EDITORS)
def misconceptions_of(quiz_id: str) -> str:
    """A quiz's own misconceptions, 50 a page, and the form that names a new one."""
    return _misconceptions_page(_quiz_or_404(quiz_id))


@bp.post("/manage/<quiz_id>/misconceptions")
@roles_required(*EDITORS)
def misconception_new(quiz_id: str) -> tuple[str, int] | Response:
    quiz = _quiz_or_404(quiz_id)
    form = MisconceptionForm()
    if form.validate():
        try:
            misconception = authoring.add_quiz_misconception(quiz, form.text.data)
        except authoring.QuestionError as error:
            form.text.errors = [*form.text.errors, error.message]
        else:
            flash(f"Added the misconception {misconception.id} to “{quiz.title}”.", "success")
            return redirect(url_for("quizzes.misconceptions_of", quiz_id=quiz.id))
    return _misconceptions_page(quiz, form), 422


def _editor(quiz: Quiz, kind: QuestionKind, question: Question | None = None) -> QuestionForm:
    data = None
    if request.method == "GET":
        data = (
            form_data(question.definition, question.status, question.version)
            if question is not None
            else {"status": QuestionStatus.DRAFT.value}
        )
    local_id = question.spec.id if question is not None else "new"
    return build_question_form(
        kind, authoring.references(quiz), local_id, editing=question is not None, data=data
    )


@dataclass
class _Submitted:
    """What the editor's POST came to: which button, and whether a fault is shown."""

    save: bool = False  # valid, and Save was pressed
    shown: ShownQuestion | None = None  # valid, and Preview was pressed
    failed: bool = False


def _submitted(form: QuestionForm) -> _Submitted:
    """Handle the buttons that save nothing: adding a row, and preview."""
    if not form.is_submitted():
        return _Submitted()
    if form.action.startswith("add:"):
        if not form.add_row(form.action.removeprefix("add:")):
            abort(400)
        return _Submitted()
    if not form.validate() or form.spec is None:
        return _Submitted(failed=True)
    if form.action == "preview":
        return _Submitted(shown=authoring.preview(form.spec))
    return _Submitted(save=True)


def _editor_page(
    template: str, form: QuestionForm, submitted: _Submitted, **context: Any
) -> tuple[str, int]:
    shown = submitted.shown
    code = 409 if context.get("conflict") is not None else 422 if submitted.failed else 200
    return render_template(
        template,
        form=form,
        shown=shown,
        # The learner's own answer form, so the preview is drawn by the same macro.
        preview_form=build_attempt_form([shown]) if shown is not None else None,
        **context,
    ), code


@bp.route("/manage/<quiz_id>/questions/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def question_new(quiz_id: str) -> Any:
    quiz = _quiz_or_404(quiz_id)
    if "type" not in request.args:
        return render_template("quizzes/manage/choose.html", quiz=quiz, kinds=list(QuestionKind))
    kind = authoring.question_kind(request.args["type"])
    if kind is None:
        abort(400)
    form = _editor(quiz, kind)
    submitted = _submitted(form)
    if submitted.save and form.spec is not None:
        try:
            question = authoring.create_question(
                current_user, quiz, form.spec, form.status_value, form.note.data or ""
            )
        except authoring.QuestionError as error:
            form.place_error(error.field, error.message)
            submitted.failed = True
        else:
            flash(
                f"Created question {question.spec.id} in “{quiz.title}” ({question.status.value}).",
                "success",
            )
            return redirect(url_for("quizzes.manage", quiz=quiz.id, _anchor=f"quiz-{quiz.id}"))
    return _editor_page("quizzes/manage/new.html", form, submitted, quiz=quiz, kind=kind)


@bp.route("/manage/questions/<question_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def question_edit(question_id: str) -> Any:
    question = _question_or_404(question_id)
    form = _editor(question.quiz, question.kind, question)
    submitted = _submitted(form)
    conflict = None
    if submitted.save and form.spec is not None:
        try:
            version = int(form.version.data)
        except ValueError:
            abort(400)
        try:
            authoring.save_question(
                question, form.spec, form.status_value, current_user, form.note.data or "", version
            )
        except authoring.StaleQuestion as stale:
            conflict = stale.current
            # Saving again now means "mine replaces theirs", knowingly.
            form.version.data = str(conflict.version)
        except authoring.QuestionError as error:
            form.place_error(error.field, error.message)
            submitted.failed = True
        else:
            flash(
                f"Saved question {question.spec.id} as revision {question.revisions[-1].number} "
                f"({question.status.value}).",
                "success",
            )
            return redirect(
                url_for("quizzes.manage", quiz=question.quiz_id, _anchor=f"quiz-{question.quiz_id}")
            )
    return _editor_page(
        "quizzes/manage/edit.html",
        form,
        submitted,
        question=question,
        conflict=conflict,
        names=_names(question.quiz),
    )


def _names(quiz: Quiz) -> dict[str, str]:
    """Marking point and misconception ids with their text, for reading a definition."""
    refs = authoring.references(quiz)
    return {p.id: p.text for p in refs.points} | {m.id: m.text for m in refs.misconceptions}


@bp.get("/manage/questions/<question_id>/history")
@roles_required(*EDITORS)
def question_history(question_id: str) -> str:
    question = _question_or_404(question_id)
    revisions = list(reversed(question.revisions))
    numbers = [r.number for r in revisions]
    # By default the form compares the two newest revisions.
    default = {"from_": str(numbers[1]), "to": str(numbers[0])} if len(numbers) > 1 else None
    return render_template(
        "quizzes/manage/history.html",
        question=question,
        revisions=revisions,
        compare=CompareForm(numbers, formdata=None, data=default),
    )


@bp.get("/manage/questions/<question_id>/revisions/<int:number>")
@roles_required(*EDITORS)
def question_revision(question_id: str, number: int) -> str:
    question = _question_or_404(question_id)
    revision = _revision_or_404(question, number)
    return render_template(
        "quizzes/manage/revision.html",
        question=question,
        revision=revision,
        current=question.revisions[-1].number,
        names=_names(question.quiz),
        source=authoring.readable(revision.definition),
    )


@bp.post("/manage/questions/<question_id>/revisions/<int:number>/restore")
@roles_required(*EDITORS)
def question_restore(question_id: str, number: int) -> Response:
    question = _question_or_404(question_id)
    _revision_or_404(question, number)
    form = RestoreForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = int(form.version.data)
    except ValueError:
        abort(400)
    try:
        authoring.restore_question_revision(question, number, current_user, version)
    except authoring.StaleQuestion:
        flash(
            "Nothing was restored: the question was saved again after you opened its history. "
            "Check the newest revision below, then restore again if you still want to.",
            "error",
        )
    except authoring.QuestionError as error:
        flash(error.message, "error")
    else:
        flash(
            f"Restored revision {number}: it is now revision {question.revisions[-1].number}.",
            "success",
        )
    return redirect(url_for("quizzes.question_history", question_id=question.id))


@bp.get("/manage/questions/<question_id>/diff")
@roles_required(*EDITORS)
def question_diff(question_id: str) -> str:
    question = _question_or_404(question_id)
    old_number, new_number = int_arg("from"), int_arg("to")
    if new_number is None:
        new_number = question.revisions[-1].number
    if old_number is None:
        old_number = max(new_number - 1, 1)  # by default, a revision against the one before
    old, new = _revision_or_404(question, old_number), _revision_or_404(question, new_number)
    return render_template(
        "quizzes/manage/diff.html",
        question=question,
        old=old,
        new=new,
        diff=authoring.diff_question_revisions(old, new),
    )
