"""Starting, resuming, shuffling, submitting and marking quiz attempts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portfolio.auth.models import User
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.models import Answer, Attempt, Quiz
from tests.factories import Factory

QUIZ = "pts-a-rights"


def _quiz(quiz_id: str = QUIZ) -> Quiz:
    quiz = quizzes.get_quiz(quiz_id)
    assert quiz is not None
    return quiz


def _answers(quiz: Quiz, wrong: int = 0) -> dict[str, str]:
    """The correct option for every question, except a wrong one for the first `wrong`."""
    chosen = {}
    for n, question in enumerate(quiz.questions):
        pick = (lambda o: not o.is_correct) if n < wrong else (lambda o: o.is_correct)
        chosen[question.id] = next(o.id for o in question.options if pick(o))
    return chosen


def _fresh(attempt: Attempt) -> Attempt:
    db.session.expire_all()
    found = db.session.get(Attempt, attempt.id)
    assert found is not None
    return found


def _stored_answers(attempt: Attempt) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Answer).where(Answer.attempt_id == attempt.id)
    )


@pytest.fixture
def learner(ctx: None, make: Factory) -> User:
    return make.learner()


def test_start_attempt_resumes_the_open_attempt(learner: User) -> None:
    first = quizzes.start_attempt(learner, _quiz())
    again = quizzes.start_attempt(learner, _quiz())
    assert again.id == first.id
    assert again.option_order == first.option_order
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    # A different quiz is a different attempt; a submitted one is not resumed.
    assert quizzes.start_attempt(learner, _quiz("pts-b-resolution")).id != first.id
    quizzes.submit_attempt(first, _answers(_quiz()))
    assert quizzes.start_attempt(learner, _quiz()).id != first.id


def test_options_are_shuffled_per_attempt_and_kept_when_resumed(
    learner: User, make: Factory
) -> None:
    quiz = _quiz()
    first = quizzes.start_attempt(learner, quiz)
    second = quizzes.start_attempt(make.learner(), quiz)
    orders = [json.loads(a.option_order) for a in (first, second)]
    for order in orders:
        assert set(order) == {q.id for q in quiz.questions}
        for question in quiz.questions:
            assert sorted(order[question.id]) == sorted(o.id for o in question.options)
    # With 6 questions of 4 options, two identical shuffles happen once in 24**6 (about 2e-8).
    assert orders[0] != orders[1]
    # What the learner is shown is the stored order, so a resumed attempt looks the same.
    shown = quizzes.shuffled_options(quizzes.start_attempt(learner, quiz))
    assert {q.id: [o.id for o in opts] for q, opts in shown} == orders[0]


def test_submit_marks_the_score_and_stores_each_answer(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    chosen = _answers(quiz, wrong=2)
    quizzes.submit_attempt(attempt, chosen)
    attempt = _fresh(attempt)
    assert attempt.score == len(quiz.questions) - 2
    assert attempt.submitted_at is not None
    assert {a.question_id: a.option_id for a in attempt.answers} == chosen
    assert sorted(a.is_correct for a in attempt.answers) == [False] * 2 + [True] * (
        len(quiz.questions) - 2
    )


def test_all_right_scores_full_marks(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    quizzes.submit_attempt(attempt, _answers(quiz))
    assert _fresh(attempt).score == len(quiz.questions) > 2


def test_a_second_submission_is_refused_and_changes_nothing(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    first = _answers(quiz, wrong=1)
    quizzes.submit_attempt(attempt, first)
    attempt = _fresh(attempt)
    submitted_at, score = attempt.submitted_at, attempt.score

    with pytest.raises(quizzes.AttemptError, match="already submitted"):
        quizzes.submit_attempt(attempt, _answers(quiz))
    db.session.rollback()
    attempt = _fresh(attempt)
    assert (attempt.submitted_at, attempt.score) == (submitted_at, score)
    assert {a.question_id: a.option_id for a in attempt.answers} == first
    assert _stored_answers(attempt) == len(quiz.questions)


def _tampered(kind: str, quiz: Quiz) -> dict[str, str]:
    chosen = _answers(quiz)
    questions = quiz.questions
    if kind == "question of another quiz":
        other = _quiz("pts-b-resolution").questions[0]
        chosen[other.id] = other.options[0].id
    elif kind == "option of another question":
        chosen[questions[0].id] = questions[1].options[0].id
    elif kind == "option that does not exist":
        chosen[questions[0].id] = "pts-a-rights.q1.zzz"
    return chosen


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("question of another quiz", "named a question that is not in this quiz"),
        ("option of another question", "named an option that does not belong to its question"),
        ("option that does not exist", "named an option that does not belong to its question"),
    ],
)
def test_a_tampered_answer_is_refused_and_nothing_is_stored(
    learner: User, kind: str, message: str
) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    with pytest.raises(quizzes.AttemptError, match=message):
        quizzes.submit_attempt(attempt, _tampered(kind, quiz))
    db.session.rollback()
    attempt = _fresh(attempt)
    assert attempt.submitted_at is None and attempt.score is None
    assert _stored_answers(attempt) == 0
    # The attempt is still open and can be answered properly.
    quizzes.submit_attempt(attempt, _answers(quiz))
    assert _fresh(attempt).score == len(quiz.questions)


def test_missing_answers_are_refused_saying_how_many(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    left_out = _answers(quiz)
    del left_out[quiz.questions[0].id], left_out[quiz.questions[3].id]
    blank = {**_answers(quiz), quiz.questions[1].id: "", quiz.questions[2].id: ""}
    only_one = {quiz.questions[0].id: _answers(quiz)[quiz.questions[0].id]}
    n = len(quiz.questions)
    for chosen, missing in ((left_out, 2), (blank, 2), (only_one, n - 1), ({}, n)):
        with pytest.raises(quizzes.AttemptError, match=f"{missing} not answered yet"):
            quizzes.submit_attempt(attempt, chosen)
        db.session.rollback()
        attempt = _fresh(attempt)
        assert attempt.submitted_at is None and _stored_answers(attempt) == 0
