"""Tutors writing the question bank: creating, saving, restoring and comparing question
revisions, and naming new misconceptions, with the same draft/publish/history rules as pages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portfolio.auth.models import User
from portfolio.content.diff import Diff, diff_text
from portfolio.core.concurrency import StaleVersion, check_version, commit_versioned
from portfolio.core.datafile import DataError
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import MarkingPoint, Misconception
from portfolio.qualifications.spec import MisconceptionSpec
from portfolio.quizzes.models import Question, QuestionRevision, QuestionStatus, Quiz
from portfolio.quizzes.services import ShownQuestion, sync_question
from portfolio.quizzes.spec import (
    QuestionKind,
    QuestionSpec,
    check_question_refs,
    question_from_data,
)

# Local ids a tutor may give, and the generated ones ("q45"). No '.': the stored id is
# "<quiz id>.<local id>", and the quiz id is everything before the last '.'.
_LOCAL_ID = re.compile(r"^[a-z0-9][a-z0-9\-]{0,39}$")
_GENERATED = re.compile(r"^q(\d+)$")
# Misconception.id is a String(64).
_MISCONCEPTION_ID_MAX = 64


class StaleQuestion(StaleVersion):
    """Someone else saved the question first; `current` is the question as they left it."""


class QuestionError(ValueError):
    """A question or misconception could not be stored. `field` names where the fault is, in
    the file format's terms ("options[1].misconception"), as DataError.field does."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class References:
    """What a question in a quiz may name: the live marking points of the quiz's element,
    and the misconceptions of the element (from the rubric) or of the quiz itself."""

    points: tuple[MarkingPoint, ...]
    misconceptions: tuple[Misconception, ...]

    def check(self, data: Mapping[str, Any]) -> QuestionSpec:
        """A submitted question validated exactly as a quiz file's is. Raises DataError,
        whose `field` says where, also for a marking point or misconception named wrongly."""
        spec = question_from_data(data)
        points = {p.id for p in self.points}
        misconceptions = {m.id for m in self.misconceptions}
        try:
            check_question_refs(spec, points, misconceptions, "question")
        except DataError as exc:
            field = _field_naming_unknown(spec, points, misconceptions)
            raise DataError(exc.path, exc.line, exc.message, field) from None
        return spec


def _field_naming_unknown(spec: QuestionSpec, points: set[str], misconceptions: set[str]) -> str:
    """Where the reference check_question_refs refused is named, found in the same order as it
    checks: marking points first, then misconceptions by id."""
    if any(p not in points for p in spec.marking_points):
        return "marking_points"
    data = spec.to_data()
    for unknown in sorted(spec.misconceptions() - misconceptions):
        if data.get("misconception") == unknown:
            return "misconception"
        for key in ("options", "steps", "items", "mistakes"):
            for n, row in enumerate(data.get(key, ())):
                if row.get("misconception") == unknown:
                    return f"{key}[{n}].misconception"
    return ""


def references(quiz: Quiz) -> References:
    quiz_ids = set(db.session.scalars(select(Quiz.id)))

    def allowed(m: Misconception) -> bool:
        # Another quiz's own misconception is not this quiz's to name (as in the files).
        owner = next((q for q in quiz_ids if m.id.startswith(f"{q}.")), None)
        return owner is None or owner == quiz.id

    element = db.session.scalars(
        select(Misconception)
        .where(Misconception.element_id == quiz.element_id)
        .order_by(Misconception.id)
    )
    return References(
        points=tuple(qualifications.live_marking_points(quiz.element_id)),
        misconceptions=tuple(m for m in element if allowed(m)),
    )


def _check_references(quiz: Quiz, spec: QuestionSpec) -> None:
    try:
        references(quiz).check(spec.to_data())
    except DataError as exc:
        raise QuestionError(exc.message, exc.field) from None


def get_quiz(quiz_id: str) -> Quiz | None:
    return db.session.get(Quiz, quiz_id)


def get_question(question_id: str) -> Question | None:
    return db.session.get(Question, question_id)


def next_local_id(quiz: Quiz) -> str:
    """One past the highest "q<n>" in the quiz, so generated ids never reuse a number."""
    numbers = [
        int(match.group(1))
        for q in quiz.questions
        if (match := _GENERATED.match(q.id.removeprefix(f"{quiz.id}.")))
    ]
    return f"q{max(numbers, default=0) + 1}"


def create_question(
    tutor: User,
    quiz: Quiz,
    spec: QuestionSpec,
    status: QuestionStatus,
    note: str = "",
    local_id: str | None = None,
) -> Question:
    """Add a question at the end of the quiz as its revision 1. Its id is
    "<quiz id>.<local id>"; the local id is generated ("q45") unless given, and `spec.id`
    is replaced by it."""
    local_id = local_id or next_local_id(quiz)
    if not _LOCAL_ID.match(local_id):
        raise QuestionError(
            f"The question id {local_id!r} must be lower-case letters, digits or '-'.", "id"
        )
    question_id = f"{quiz.id}.{local_id}"
    taken = QuestionError(f"The question id {local_id!r} is already used in this quiz.", "id")
    if get_question(question_id) is not None:
        raise taken
    spec = replace(spec, id=local_id)
    _check_references(quiz, spec)
    last = db.session.scalar(select(func.max(Question.position)).where(Question.quiz_id == quiz.id))
    question = Question(id=question_id, quiz_id=quiz.id, position=(last or 0) + 1)
    db.session.add(question)
    with db.session.no_autoflush:
        sync_question(question, spec, status, tutor, note or "Created")
    try:
        db.session.commit()
    except IntegrityError:
        # Another tutor took the same id between the check above and this commit.
        db.session.rollback()
        raise taken from None
    return question


def save_question(
    question: Question,
    spec: QuestionSpec,
    status: QuestionStatus,
    tutor: User,
    note: str,
    expected_version: int,
) -> Question:
    """Save a tutor's edit as a new revision; refuse it if the question changed since the form
    was opened. Publishing makes this revision the one learners are given; a draft or archived
    question is given to nobody starting an attempt."""
    check_version(question, expected_version, StaleQuestion)
    spec = replace(spec, id=question.spec.id)  # the id is fixed once the question exists
    if spec.kind is not question.kind:
        raise QuestionError("A question's type cannot change: create a new question.", "type")
    _check_references(question.quiz, spec)
    # The row is written once, at the commit, so its version moves by exactly one per save.
    with db.session.no_autoflush:
        sync_question(question, spec, status, tutor, note)
    try:
        commit_versioned(question, StaleQuestion)
    except IntegrityError:
        # A concurrent save took the same revision number: theirs stands.
        db.session.rollback()
        raise StaleQuestion(question) from None
    return question


def question_revision(question: Question, number: int) -> QuestionRevision | None:
    return db.session.scalar(
        select(QuestionRevision).where(
            QuestionRevision.question_id == question.id, QuestionRevision.number == number
        )
    )


def restore_question_revision(
    question: Question, number: int, tutor: User, expected_version: int
) -> Question:
    """Make an old revision current again, with the status it had, as a new revision:
    history is never rewritten."""
    revision = question_revision(question, number)
    if revision is None:
        raise QuestionError(f"There is no revision {number}.")
    try:
        return save_question(
            question,
            revision.spec,
            revision.status,
            tutor,
            f"Restored revision {number}",
            expected_version,
        )
    except QuestionError as exc:
        raise QuestionError(f"Revision {number} cannot be restored: {exc.message}") from None


def readable(definition: Mapping[str, Any], status: QuestionStatus | None = None) -> str:
    """A definition as YAML, the quiz files' own format, for reading and comparing."""
    head = f"status: {status.value}\n" if status is not None else ""
    return head + yaml.safe_dump(dict(definition), sort_keys=False, allow_unicode=True)


def diff_question_revisions(old: QuestionRevision, new: QuestionRevision) -> Diff:
    return diff_text(readable(old.definition, old.status), readable(new.definition, new.status))


def _slug(text: str, room: int) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.casefold()).split()
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > room:
            break
        slug = longer
    return slug or "-".join(words)[:room].strip("-")


def add_quiz_misconception(quiz: Quiz, text: str) -> Misconception:
    """Name a new misconception of this quiz, id "<quiz id>.m-<slug of the text>", so its
    questions can say a wrong answer reveals it."""
    text = " ".join(text.split())
    if not text:
        raise QuestionError("Describe the misconception.", "text")
    prefix = f"{quiz.id}.m-"
    slug = _slug(text, _MISCONCEPTION_ID_MAX - len(prefix))
    if not slug:
        raise QuestionError("Describe the misconception in words (letters or digits).", "text")
    for existing in references(quiz).misconceptions:
        if existing.id == prefix + slug or existing.text.casefold() == text.casefold():
            raise QuestionError(
                f"This quiz already has that misconception ({existing.id}): "
                "use it, or describe a different one.",
                "text",
            )
    qualifications.store_misconceptions(quiz.element_id, [MisconceptionSpec(prefix + slug, text)])
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise QuestionError("That misconception was just added by someone else.", "text") from None
    found = qualifications.get_misconception(prefix + slug)
    assert found is not None
    return found


def preview(spec: QuestionSpec, question: Question | None = None) -> ShownQuestion:
    """The question as a learner would be given it, in the written order, for a tutor's
    preview; nothing is stored."""
    shown = question or Question(id="preview", kind=spec.kind, stem=spec.stem)
    return ShownQuestion(
        number=1,
        question=shown,
        spec=spec,
        revision=0,
        order=[c.id for c in spec.choices],
        answer=None,
    )


def question_kind(value: str) -> QuestionKind | None:
    try:
        return QuestionKind(value)
    except ValueError:
        return None
