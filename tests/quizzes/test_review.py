"""Spaced review: a misconception shown is asked again the next day; answered right on a later
day it is cleared and comes back after 3, 7 and 21 days; shown again, it starts over."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portfolio.auth.models import User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.marking import mark
from portfolio.quizzes.models import Attempt, AttemptMode, HeldMisconception, Question
from tests.factories import Factory
from tests.quizzes.support import right, wrong

QUIZ = "pts-a-rights"


@pytest.fixture
def learner(ctx: None, make: Factory) -> User:
    person = db.session.get(User, make.learner().id)
    assert person is not None
    return person


def _practice_first_wrong(learner: User) -> tuple[str, Question]:
    """Answer question 1 of a practice attempt wrongly; the misconception it showed."""
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    attempt = quizzes.start_attempt(learner, quiz, AttemptMode.PRACTICE)
    first = quizzes.shown_questions(attempt)[0]
    response = wrong(first.spec)
    (revealed,) = mark(first.spec, response).revealed
    quizzes.answer_question(attempt, 1, response)
    return revealed.misconception_id, first.question


def _row(learner: User, misconception_id: str) -> HeldMisconception:
    db.session.expire_all()
    row = db.session.get(HeldMisconception, (learner.id, misconception_id))
    assert row is not None
    return row


def _move_back(learner: User, days: int) -> None:
    """Time moves on: everything this learner was shown happened `days` earlier."""
    for row in db.session.scalars(
        select(HeldMisconception).where(HeldMisconception.user_id == learner.id)
    ):
        row.last_seen_at -= timedelta(days=days)
        row.first_seen_at -= timedelta(days=days)
        if row.cleared_at is not None:
            row.cleared_at -= timedelta(days=days)
        if row.due_at is not None:
            row.due_at -= timedelta(days=days)
    db.session.commit()


def _answer_review(attempt: Attempt, misconception_id: str, correct: bool) -> None:
    for s in quizzes.shown_questions(attempt):
        if misconception_id in s.spec.misconceptions():
            response = right(s.spec) if correct else wrong(s.spec, misconception_id)
        else:
            response = right(s.spec)
        quizzes.answer_question(attempt, s.number, response)


def _close(a: datetime | None, b: datetime) -> bool:
    return a is not None and abs(a - b) < timedelta(seconds=5)


def test_a_wrong_answer_is_due_again_the_next_day_not_today(learner: User) -> None:
    misconception_id, _ = _practice_first_wrong(learner)
    row = _row(learner, misconception_id)
    assert (row.box, row.cleared_at) == (1, None)
    assert _close(row.due_at, row.last_seen_at + timedelta(days=1))
    assert quizzes.due_reviews(learner) == []
    assert quizzes.start_review(learner) is None
    assert quizzes.next_review_at(learner) == row.due_at
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    assert [r.misconception_id for r in quizzes.due_reviews(learner, tomorrow)] == [
        misconception_id
    ]


def test_a_review_asks_a_question_that_tests_it_and_a_right_answer_clears_it(
    learner: User,
) -> None:
    misconception_id, _ = _practice_first_wrong(learner)
    _move_back(learner, days=1)
    assert [r.misconception_id for r in quizzes.due_reviews(learner)] == [misconception_id]

    review = quizzes.start_review(learner)
    assert review is not None
    assert (review.mode, review.quiz_id, review.quiz_version) == (AttemptMode.REVIEW, None, None)
    assert review.title == "Review of your misconceptions"
    (shown,) = quizzes.shown_questions(review)
    assert misconception_id in shown.spec.misconceptions()
    assert quizzes.start_review(learner).id == review.id  # type: ignore[union-attr]  # resumed
    assert quizzes.open_review(learner).id == review.id  # type: ignore[union-attr]

    quizzes.answer_question(review, 1, right(shown.spec))
    row = _row(learner, misconception_id)
    assert row.cleared_at is not None and row.box == 2
    assert _close(row.due_at, row.cleared_at + timedelta(days=3))
    assert quizzes.held_misconceptions(learner) == []
    assert [h.misconception_id for h in quizzes.cleared_misconceptions(learner)] == [
        misconception_id
    ]
    review = db.session.get(Attempt, review.id)  # type: ignore[assignment]
    assert review is not None and review.submitted_at is not None and review.score == 1
    assert quizzes.open_review(learner) is None
    assert quizzes.due_reviews(learner) == []


def test_a_review_asks_another_question_than_last_time_where_there_is_one(
    learner: User,
) -> None:
    misconception_id = "pts-a.m1"  # tested by several questions of the bank
    testing = db.session.scalars(
        select(Question).where(Question.misconceptions.any(id=misconception_id))
    ).all()
    assert len(testing) > 2
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    asked = next(q for q in quiz.questions if misconception_id in q.spec.misconceptions())
    chosen = {q.id: right(q.spec) for q in quiz.questions}
    chosen[asked.id] = wrong(asked.spec, misconception_id, only=True)
    quizzes.submit_attempt(quizzes.start_attempt(learner, quiz), chosen)
    assert _row(learner, misconception_id).last_question_id == asked.id
    _move_back(learner, days=1)
    seen = set()
    for _ in range(8):  # the pick is random: never the question just answered wrongly
        review = quizzes.start_review(learner)
        assert review is not None
        (question_id,) = [e["question"] for e in review.layout]
        assert question_id != asked.id
        assert question_id in {q.id for q in testing}
        seen.add(question_id)
        db.session.delete(review)
        db.session.commit()
    assert seen


def test_nothing_due_is_no_review(learner: User) -> None:
    assert quizzes.start_review(learner) is None
    assert quizzes.due_reviews(learner) == [] and quizzes.next_review_at(learner) is None


def test_a_right_answer_the_same_day_does_not_clear_it(learner: User) -> None:
    misconception_id, _ = _practice_first_wrong(learner)
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    review = quizzes.start_review(learner, now=tomorrow)  # due "tomorrow", answered today
    assert review is not None
    _answer_review(review, misconception_id, correct=True)
    row = _row(learner, misconception_id)
    assert (row.cleared_at, row.box) == (None, 1)


def test_the_boxes_3_7_and_21_days_then_no_more(learner: User) -> None:
    misconception_id, _ = _practice_first_wrong(learner)
    gaps = []
    for _ in range(4):
        row = _row(learner, misconception_id)
        assert row.due_at is not None
        # Time moves on to the day it is due.
        _move_back(learner, days=(row.due_at - utcnow()).days + 1)
        review = quizzes.start_review(learner)
        assert review is not None
        _answer_review(review, misconception_id, correct=True)
        row = _row(learner, misconception_id)
        assert row.cleared_at is not None
        gaps.append(
            (
                row.box,
                None
                if row.due_at is None
                else round((row.due_at - utcnow()).total_seconds() / 86400),
            )
        )
    assert gaps == [(2, 3), (3, 7), (4, 21), (5, None)]
    assert quizzes.next_review_at(learner) is None
    assert quizzes.start_review(learner, now=utcnow() + timedelta(days=400)) is None


def test_a_right_answer_before_it_is_due_changes_nothing(learner: User) -> None:
    misconception_id, _ = _practice_first_wrong(learner)
    _move_back(learner, days=1)
    review = quizzes.start_review(learner)
    assert review is not None
    _answer_review(review, misconception_id, correct=True)
    before = _row(learner, misconception_id)
    box, due = before.box, before.due_at
    # The next day, two days before it is due again: a right answer in practice.
    _move_back(learner, days=1)
    due = due - timedelta(days=1)  # type: ignore[operator]
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    attempt = quizzes.start_attempt(learner, quiz, AttemptMode.PRACTICE)
    for s in quizzes.shown_questions(attempt):
        if s.answer is None:
            quizzes.answer_question(attempt, s.number, right(s.spec))
    after = _row(learner, misconception_id)
    assert (after.box, after.due_at) == (box, due)


def test_shown_again_after_clearing_it_starts_over(learner: User) -> None:
    misconception_id, _ = _practice_first_wrong(learner)
    _move_back(learner, days=1)
    review = quizzes.start_review(learner)
    assert review is not None
    _answer_review(review, misconception_id, correct=True)
    _move_back(learner, days=3)
    review = quizzes.start_review(learner)
    assert review is not None
    _answer_review(review, misconception_id, correct=False)
    row = _row(learner, misconception_id)
    assert (row.box, row.cleared_at, row.times_seen) == (1, None, 2)
    assert _close(row.due_at, row.last_seen_at + timedelta(days=1))
    assert [h.misconception_id for h in quizzes.held_misconceptions(learner)] == [misconception_id]
    # What the learner reads again is why this latest answer was wrong.
    (shown,) = (
        s for s in quizzes.shown_questions(review) if misconception_id in s.spec.misconceptions()
    )
    revealed = {
        r.misconception_id: r
        for r in mark(shown.spec, wrong(shown.spec, misconception_id)).revealed
    }
    assert row.last_explanation == revealed[misconception_id].explanation
    assert row.last_question_id == shown.question.id


def test_one_review_asks_each_due_misconception_once(learner: User) -> None:
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    attempt = quizzes.start_attempt(learner, quiz)
    quizzes.submit_attempt(attempt, {q.id: wrong(q.spec) for q in quiz.questions})
    held = {h.misconception_id for h in quizzes.held_misconceptions(learner)}
    assert len(held) > 3
    _move_back(learner, days=1)
    review = quizzes.start_review(learner)
    assert review is not None
    ids = [e["question"] for e in review.layout]
    assert len(ids) == len(set(ids)) <= quizzes.REVIEW_SIZE
    tested = set().union(*(s.spec.misconceptions() for s in quizzes.shown_questions(review)))
    assert held <= tested or len(ids) == quizzes.REVIEW_SIZE
