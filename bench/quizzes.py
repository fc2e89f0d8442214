"""Generated quiz history: attempts, their answers and the misconceptions learners hold, as
the quiz services would have stored them. Every response is marked by the app's own marking
(quizzes/marking.py) and held misconceptions are replayed with the rules of
quizzes/services._record_misconceptions, answer by answer in time order."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from portfolio.extensions import db
from portfolio.quizzes.marking import check_response, mark, right_answer
from portfolio.quizzes.models import Question, QuestionRevision, QuestionStatus, Quiz
from portfolio.quizzes.services import REVIEW_DAYS
from portfolio.quizzes.spec import QuestionKind, QuestionSpec


@dataclass(frozen=True)
class Response:
    response: dict[str, Any]
    correct: bool
    revealed: tuple[tuple[str, str], ...]  # (misconception id, explanation)


@dataclass(frozen=True)
class BankQuestion:
    id: str
    revision: int
    spec: QuestionSpec
    right: Response
    wrong: tuple[Response, ...]

    @property
    def tested(self) -> set[str]:
        return self.spec.misconceptions()


@dataclass(frozen=True)
class BankQuiz:
    id: str
    version: int
    questions: tuple[BankQuestion, ...]


def _wrong_responses(spec: QuestionSpec) -> list[dict[str, Any]]:
    """Wrong answers a learner could give, as the form would post them."""
    ids = [c.id for c in spec.choices]
    kind = spec.kind
    if kind is QuestionKind.SINGLE:
        return [{"choice": c.id} for c in spec.choices if not c.correct]
    if kind is QuestionKind.TRUE_FALSE:
        return [{"choice": "false" if spec.answer else "true"}]
    if kind is QuestionKind.MULTIPLE:
        right = [c.id for c in spec.choices if c.correct]
        found = [{"choices": [c.id]} for c in spec.choices if not c.correct]
        if len(right) > 1:
            found.append({"choices": right[:1]})  # a right one left out
        return found
    if kind is QuestionKind.ORDER:
        return [{"order": ids[n:] + ids[:n]} for n in range(1, len(ids))]
    found = []
    categories = [c.id for c in spec.categories]
    for choice in spec.choices:
        items = {c.id: c.category for c in spec.choices}
        items[choice.id] = next(c for c in categories if c != choice.category)
        found.append({"items": items})
    return found


def _marked(spec: QuestionSpec, response: dict[str, Any]) -> Response:
    canonical = check_response(spec, response)
    marking = mark(spec, canonical)
    return Response(
        canonical,
        marking.correct,
        tuple((r.misconception_id, r.explanation) for r in marking.revealed),
    )


def load_bank() -> list[BankQuiz]:
    """Every quiz with its published questions at the revision learners are given."""
    quizzes = []
    for quiz in db.session.scalars(select(Quiz).order_by(Quiz.id)):
        questions = []
        for q in db.session.scalars(
            select(Question)
            .where(Question.quiz_id == quiz.id, Question.status == QuestionStatus.PUBLISHED)
            .order_by(Question.position)
        ):
            revision = db.session.scalar(
                select(QuestionRevision).where(
                    QuestionRevision.question_id == q.id, QuestionRevision.number == q.revision
                )
            )
            assert revision is not None
            spec = revision.spec
            wrong = [_marked(spec, r) for r in _wrong_responses(spec)]
            questions.append(
                BankQuestion(
                    q.id,
                    q.revision,
                    spec,
                    _marked(spec, right_answer(spec)),
                    tuple(w for w in wrong if not w.correct),
                )
            )
        if questions:
            quizzes.append(BankQuiz(quiz.id, quiz.version, tuple(questions)))
    return quizzes


@dataclass
class Held:
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int
    last_explanation: str
    last_question_id: str
    cleared_at: datetime | None
    box: int
    due_at: datetime | None


def _schedule(row: Held, box: int, now: datetime) -> None:
    row.box = box
    days = REVIEW_DAYS.get(box)
    row.due_at = now + timedelta(days=days) if days else None


def record_misconceptions(
    held: dict[str, Held], question: BankQuestion, answer: Response, now: datetime
) -> None:
    """quizzes.services._record_misconceptions, on one learner's rows in memory."""
    for misconception_id, explanation in answer.revealed:
        row = held.get(misconception_id)
        if row is None:
            row = Held(now, now, 0, "", question.id, None, 1, None)
            held[misconception_id] = row
        row.last_seen_at, row.last_explanation = now, explanation
        row.last_question_id, row.cleared_at = question.id, None
        row.times_seen += 1
        _schedule(row, 1, now)
    if not answer.correct:
        return
    for misconception_id in question.tested:
        row = held.get(misconception_id)
        if row is None:
            continue
        if row.cleared_at is None and row.last_seen_at.date() < now.date():
            row.cleared_at = now
            _schedule(row, 2, now)
        elif row.cleared_at is not None and row.due_at is not None and row.due_at <= now:
            _schedule(row, row.box + 1, now)


@dataclass
class QuizHistory:
    attempts: int = 0
    answers: int = 0
    open_attempts: int = 0
    held: dict[int, dict[str, Held]] = field(default_factory=dict)


def _layout(question: BankQuestion, rng: random.Random) -> dict[str, Any]:
    order = [c.id for c in question.spec.choices]
    if question.spec.kind is not QuestionKind.TRUE_FALSE:
        rng.shuffle(order)
    return {"question": question.id, "revision": question.revision, "order": order}


def generate(
    rng: random.Random,
    bank: list[BankQuiz],
    learners: list[tuple[int, datetime, float]],
    total: int,
    first_id: int,
    now: datetime,
    write_attempts: Callable[[list[dict[str, Any]]], None],
    write_answers: Callable[[list[dict[str, Any]]], None],
    batch: int = 5000,
) -> QuizHistory:
    """`total` attempts shared among `learners` ((id, enrolled at, strength)), written in
    batches in the order they were started (so ids follow time, as in the app)."""
    history = QuizHistory()
    if not learners or not bank or total <= 0:
        return history
    weights = [0.4 + rng.random() * 1.2 for _ in learners]
    owners = rng.choices(range(len(learners)), weights=weights, k=total)
    planned: list[tuple[datetime, int, BankQuiz]] = []
    for index in owners:
        _, enrolled, _ = learners[index]
        span = max((now - enrolled).total_seconds() - 3600, 60)
        started = enrolled + timedelta(seconds=rng.random() * span)
        planned.append((started, index, rng.choice(bank)))
    planned.sort(key=lambda p: (p[0], p[1]))
    attempts: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for number, (started, index, quiz) in enumerate(planned):
        learner_id, enrolled, strength = learners[index]
        held = history.held.setdefault(learner_id, {})
        attempt_id = first_id + number
        layout = [_layout(q, rng) for q in quiz.questions]
        practice = rng.random() < 0.15
        is_open = started > now - timedelta(days=3) and rng.random() < 0.3
        # Learners get better over the months they study.
        skill = min(0.97, strength + 0.15 * (started - enrolled).days / 270)
        submitted: datetime | None = None
        score: int | None = None
        if not is_open:
            moment = started
            score = 0
            finish = started + timedelta(seconds=rng.randint(120, 1500))
            for question in quiz.questions:
                if practice:
                    moment += timedelta(seconds=rng.randint(15, 150))
                else:
                    moment = finish
                if rng.random() < skill or not question.wrong:
                    given = question.right
                else:
                    revealing = [w for w in question.wrong if w.revealed]
                    pool = revealing if revealing and rng.random() < 0.8 else list(question.wrong)
                    given = rng.choice(pool)
                score += given.correct
                answers.append(
                    {
                        "attempt_id": attempt_id,
                        "question_id": question.id,
                        "revision": question.revision,
                        "response": given.response,
                        "revealed": [m for m, _ in given.revealed],
                        "is_correct": given.correct,
                        "answered_at": moment,
                    }
                )
                record_misconceptions(held, question, given, moment)
            submitted = moment
            history.answers += len(quiz.questions)
        else:
            history.open_attempts += 1
        attempts.append(
            {
                "id": attempt_id,
                "user_id": learner_id,
                "quiz_id": quiz.id,
                "quiz_version": quiz.version,
                "mode": "practice" if practice else "test",
                "layout": layout,
                "started_at": started,
                "submitted_at": submitted,
                "score": score,
            }
        )
        history.attempts += 1
        if len(attempts) >= batch:
            write_attempts(attempts)
            attempts = []
        if len(answers) >= batch:
            write_attempts(attempts)  # answers refer to their attempts
            attempts = []
            write_answers(answers)
            answers = []
    write_attempts(attempts)
    write_answers(answers)
    return history


def held_rows(history: QuizHistory) -> Iterator[dict[str, Any]]:
    for user_id, rows in history.held.items():
        for misconception_id, h in sorted(rows.items()):
            yield {
                "user_id": user_id,
                "misconception_id": misconception_id,
                "first_seen_at": h.first_seen_at,
                "last_seen_at": h.last_seen_at,
                "times_seen": h.times_seen,
                "last_explanation": h.last_explanation,
                "last_question_id": h.last_question_id,
                "cleared_at": h.cleared_at,
                "box": h.box,
                "due_at": h.due_at,
            }
