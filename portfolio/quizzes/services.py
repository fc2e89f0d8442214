"""Loading quizzes, and starting, submitting and marking attempts."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portfolio.auth.models import User
from portfolio.content import services as content
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    HeldMisconception,
    Option,
    Question,
    Quiz,
    ReadingSuggestion,
)
from portfolio.quizzes.spec import QuizSpec

_shuffle = secrets.SystemRandom().shuffle


class AttemptError(Exception):
    """An answer submission was refused; nothing was stored. The message says why."""


def sync_quizzes(specs: Sequence[QuizSpec]) -> int:
    """Upsert quizzes by id. Rows are never deleted: stored answers refer to them."""
    for spec in specs:
        qualifications.store_misconceptions(spec.element_id, spec.misconceptions)
        db.session.flush()
        quiz = db.session.get(Quiz, spec.id) or Quiz(id=spec.id)
        db.session.add(quiz)
        quiz.version, quiz.element_id, quiz.title = spec.version, spec.element_id, spec.title
        for q_pos, q in enumerate(spec.questions):
            qid = f"{spec.id}.{q.id}"
            question = db.session.get(Question, qid) or Question(id=qid, quiz_id=spec.id)
            db.session.add(question)
            question.position, question.stem = q_pos, q.stem
            for o_pos, o in enumerate(q.options):
                oid = f"{qid}.{o.id}"
                option = db.session.get(Option, oid) or Option(id=oid, question_id=qid)
                db.session.add(option)
                option.position, option.text, option.is_correct = o_pos, o.text, o.correct
                option.explanation, option.misconception_id = o.explanation, o.misconception
    db.session.commit()
    return len(specs)


def list_quizzes() -> Sequence[Quiz]:
    return db.session.scalars(select(Quiz).order_by(Quiz.element_id, Quiz.title)).all()


def get_quiz(quiz_id: str) -> Quiz | None:
    return db.session.get(Quiz, quiz_id)


def start_attempt(user: User, quiz: Quiz) -> Attempt:
    """Resume the learner's open attempt at this quiz, or start one with shuffled options."""
    open_attempt = db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_(None)
        )
    )
    if open_attempt is not None:
        return open_attempt
    order: dict[str, list[str]] = {}
    for question in quiz.questions:
        ids = [o.id for o in question.options]
        _shuffle(ids)
        order[question.id] = ids
    attempt = Attempt(
        user_id=user.id, quiz_id=quiz.id, quiz_version=quiz.version, option_order=json.dumps(order)
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def get_attempt(user: User, attempt_id: int) -> Attempt | None:
    """Only the learner's own attempt; anyone else's is as good as missing."""
    attempt = db.session.get(Attempt, attempt_id)
    return attempt if attempt is not None and attempt.user_id == user.id else None


def shuffled_options(attempt: Attempt) -> list[tuple[Question, list[Option]]]:
    order: dict[str, list[str]] = json.loads(attempt.option_order)
    result = []
    for question in attempt.quiz.questions:
        by_id = {o.id: o for o in question.options}
        ids = [i for i in order.get(question.id, []) if i in by_id]
        ids += [i for i in by_id if i not in ids]
        result.append((question, [by_id[i] for i in ids]))
    return result


def submit_attempt(attempt: Attempt, chosen: Mapping[str, str]) -> Attempt:
    """Mark an attempt once. A second submit, or an answer naming a question or option that
    is not in this quiz, is refused whole."""
    if attempt.submitted_at is not None:
        raise AttemptError("This attempt was already submitted; its answers cannot change.")
    questions = {q.id: q for q in attempt.quiz.questions}
    unknown = set(chosen) - set(questions)
    if unknown:
        raise AttemptError("The answers named a question that is not in this quiz.")
    missing = [q for q in questions.values() if not chosen.get(q.id)]
    if missing:
        raise AttemptError(f"Answer every question: {len(missing)} not answered yet.")
    answers = []
    for qid, oid in chosen.items():
        option = next((o for o in questions[qid].options if o.id == oid), None)
        if option is None:
            raise AttemptError("An answer named an option that does not belong to its question.")
        answers.append(Answer(question_id=qid, option_id=oid, is_correct=option.is_correct))
    attempt.answers = answers
    attempt.score = sum(a.is_correct for a in answers)
    attempt.submitted_at = utcnow()
    _update_held_misconceptions(attempt.user_id, answers, questions, attempt.submitted_at)
    try:
        db.session.commit()
    except IntegrityError:
        # A double-click raced this request and won: its answers stand.
        db.session.rollback()
        raise AttemptError(
            "This attempt was already submitted; its answers cannot change."
        ) from None
    return attempt


def _update_held_misconceptions(
    user_id: int, answers: Sequence[Answer], questions: Mapping[str, Question], now: datetime
) -> None:
    """A wrong answer (re)opens the misconception its option names; a right answer on a later
    day than it was last shown clears every misconception that question tests."""
    held = {
        h.misconception_id: h
        for h in db.session.scalars(
            select(HeldMisconception).where(HeldMisconception.user_id == user_id)
        )
    }
    for answer in answers:
        question = questions[answer.question_id]
        chosen = next(o for o in question.options if o.id == answer.option_id)
        if not answer.is_correct and chosen.misconception_id:
            row = held.get(chosen.misconception_id)
            if row is None:
                row = HeldMisconception(
                    user_id=user_id,
                    misconception_id=chosen.misconception_id,
                    first_seen_at=now,
                    times_seen=0,
                )
                db.session.add(row)
                held[row.misconception_id] = row
            row.last_seen_at, row.last_option_id, row.cleared_at = now, chosen.id, None
            row.times_seen += 1
        elif answer.is_correct:
            for option in question.options:
                row = held.get(option.misconception_id or "")
                if row and row.cleared_at is None and row.last_seen_at.date() < now.date():
                    row.cleared_at = now


def held_misconceptions(user: User) -> Sequence[HeldMisconception]:
    """Misconceptions this learner still holds, most recently shown first."""
    return db.session.scalars(
        select(HeldMisconception)
        .where(HeldMisconception.user_id == user.id, HeldMisconception.cleared_at.is_(None))
        .order_by(HeldMisconception.last_seen_at.desc())
    ).all()


def cleared_misconceptions(user: User) -> Sequence[HeldMisconception]:
    return db.session.scalars(
        select(HeldMisconception)
        .where(HeldMisconception.user_id == user.id, HeldMisconception.cleared_at.is_not(None))
        .order_by(HeldMisconception.cleared_at.desc())
    ).all()


def send_page_to_holders(tutor: User, misconception_id: str, page_id: int) -> int:
    """Suggest a revision page to every learner who holds the misconception now. Sending
    again refreshes the date, so it shows as new. Returns how many learners it went to."""
    page = content.get_published_page_by_id(page_id)
    if page is None:
        raise ValueError("Choose a published revision page.")
    holders = [
        h.user_id
        for h in db.session.scalars(
            select(HeldMisconception).where(
                HeldMisconception.misconception_id == misconception_id,
                HeldMisconception.cleared_at.is_(None),
            )
        )
    ]
    now = utcnow()
    for user_id in holders:
        row = db.session.scalar(
            select(ReadingSuggestion).where(
                ReadingSuggestion.user_id == user_id,
                ReadingSuggestion.page_id == page.id,
                ReadingSuggestion.misconception_id == misconception_id,
            )
        )
        if row is None:
            row = ReadingSuggestion(
                user_id=user_id, page_id=page.id, misconception_id=misconception_id
            )
            db.session.add(row)
        row.suggested_by_id, row.suggested_at = tutor.id, now
    db.session.commit()
    return len(holders)


def open_suggestions(user: User) -> list[ReadingSuggestion]:
    """Pages suggested to this learner that they have not marked read since."""
    rows = db.session.scalars(
        select(ReadingSuggestion)
        .where(ReadingSuggestion.user_id == user.id)
        .order_by(ReadingSuggestion.suggested_at.desc())
    )
    return [
        r for r in rows if (read := content.read_at(user, r.page)) is None or read < r.suggested_at
    ]


def list_attempts(user: User) -> Sequence[Attempt]:
    return db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.started_at.desc())
    ).all()
