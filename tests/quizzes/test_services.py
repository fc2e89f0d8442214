"""Starting, resuming, shuffling, submitting and marking quiz attempts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portfolio.auth.models import User
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    AttemptMode,
    HeldMisconception,
    QuestionStatus,
    Quiz,
)
from portfolio.quizzes.spec import QuestionKind, question_from_data
from tests.factories import Factory
from tests.quizzes.support import right, wrong

QUIZ = "pts-a-rights"


def _quiz(quiz_id: str = QUIZ) -> Quiz:
    quiz = quizzes.get_quiz(quiz_id)
    assert quiz is not None
    return quiz


def _answers(quiz: Quiz, wrong_first: int = 0) -> dict[str, dict[str, Any]]:
    """The right response to every question, except a wrong one for the first `wrong_first`."""
    return {
        q.id: wrong(q.spec) if n < wrong_first else right(q.spec)
        for n, q in enumerate(quizzes.published_questions(quiz))
    }


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


def test_the_quiz_under_test_has_every_kind_of_question(ctx: None) -> None:
    """The tests below go through single, multiple, true/false and classify questions."""
    kinds = {q.spec.kind for q in _quiz().questions}
    assert {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE} <= kinds
    assert QuestionKind.CLASSIFY in kinds


def test_start_attempt_resumes_the_open_attempt(learner: User) -> None:
    first = quizzes.start_attempt(learner, _quiz())
    again = quizzes.start_attempt(learner, _quiz())
    assert again.id == first.id
    assert again.layout == first.layout
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    # A different quiz is a different attempt; a submitted one is not resumed.
    assert quizzes.start_attempt(learner, _quiz("pts-b-resolution")).id != first.id
    quizzes.submit_attempt(first, _answers(_quiz()))
    assert quizzes.start_attempt(learner, _quiz()).id != first.id


def test_each_mode_has_its_own_open_attempt(learner: User) -> None:
    test = quizzes.start_attempt(learner, _quiz(), AttemptMode.TEST)
    practice = quizzes.start_attempt(learner, _quiz(), AttemptMode.PRACTICE)
    assert practice.id != test.id
    assert (test.mode, practice.mode) == (AttemptMode.TEST, AttemptMode.PRACTICE)
    assert quizzes.start_attempt(learner, _quiz(), AttemptMode.PRACTICE).id == practice.id
    with pytest.raises(ValueError, match="start_review"):
        quizzes.start_attempt(learner, _quiz(), AttemptMode.REVIEW)


def test_choices_are_shuffled_per_attempt_and_kept_when_resumed(
    learner: User, make: Factory
) -> None:
    quiz = _quiz()
    questions = quizzes.published_questions(quiz)
    first = quizzes.start_attempt(learner, quiz)
    second = quizzes.start_attempt(make.learner(), quiz)
    for attempt in (first, second):
        assert [e["question"] for e in attempt.layout] == [q.id for q in questions]
        for entry, question in zip(attempt.layout, questions, strict=True):
            assert entry["revision"] == question.revision
            assert sorted(entry["order"]) == sorted(c.id for c in question.spec.choices)
    # Six questions of 4 options, 5 of a multiple and 6 items to classify: two identical
    # shuffles happen about once in 24**6 * 120 * 720 (about 5e-13).
    assert [e["order"] for e in first.layout] != [e["order"] for e in second.layout]
    # True or false is never shuffled: "True" comes first.
    for entry, question in zip(first.layout, questions, strict=True):
        if question.spec.kind is QuestionKind.TRUE_FALSE:
            assert entry["order"] == []
    # What the learner is shown is the stored order, so a resumed attempt looks the same.
    shown = quizzes.shown_questions(quizzes.start_attempt(learner, quiz))
    assert [s.order for s in shown] == [e["order"] for e in first.layout]
    assert [s.number for s in shown] == list(range(1, len(questions) + 1))
    for s in shown:
        text = {c.id: c.text for c in s.spec.choices}
        assert s.shown_choices == [(n, text[i]) for n, i in enumerate(s.order)]


def test_submit_marks_the_score_and_stores_each_answer(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    chosen = _answers(quiz, wrong_first=2)
    quizzes.submit_attempt(attempt, chosen)
    attempt = _fresh(attempt)
    n = len(quiz.questions)
    assert attempt.score == n - 2
    assert attempt.submitted_at is not None
    assert {a.question_id: a.response for a in attempt.answers} == chosen
    assert sorted(a.is_correct for a in attempt.answers) == [False] * 2 + [True] * (n - 2)
    # Each answer names the revision it was marked against and what it revealed.
    questions = {q.id: q for q in quiz.questions}
    for a in attempt.answers:
        assert a.revision == questions[a.question_id].revision
        assert bool(a.revealed) == (not a.is_correct)


def test_all_right_scores_full_marks(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    quizzes.submit_attempt(attempt, _answers(quiz))
    assert _fresh(attempt).score == len(quiz.questions) > 2


def test_a_second_submission_is_refused_and_changes_nothing(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    first = _answers(quiz, wrong_first=1)
    quizzes.submit_attempt(attempt, first)
    attempt = _fresh(attempt)
    submitted_at, score = attempt.submitted_at, attempt.score

    with pytest.raises(quizzes.AttemptError, match="already submitted"):
        quizzes.submit_attempt(attempt, _answers(quiz))
    db.session.rollback()
    attempt = _fresh(attempt)
    assert (attempt.submitted_at, attempt.score) == (submitted_at, score)
    assert {a.question_id: a.response for a in attempt.answers} == first
    assert _stored_answers(attempt) == len(quiz.questions)


def _tampered(kind: str, quiz: Quiz) -> dict[str, dict[str, Any]]:
    chosen = _answers(quiz)
    questions = quiz.questions
    single = questions[0]
    assert single.spec.kind is QuestionKind.SINGLE
    if kind == "question of another quiz":
        other = _quiz("pts-b-resolution").questions[0]
        chosen[other.id] = right(other.spec)
    elif kind == "option of another question":
        classify = next(q for q in questions if q.spec.kind is QuestionKind.CLASSIFY)
        item = classify.spec.choices[0].id
        assert item not in {c.id for c in single.spec.choices}
        chosen[single.id] = {"choice": item}
    elif kind == "option that does not exist":
        chosen[single.id] = {"choice": "zzz"}
    elif kind == "an option chosen twice":
        multiple = next(q for q in questions if q.spec.kind is QuestionKind.MULTIPLE)
        picked = right(multiple.spec)["choices"]
        chosen[multiple.id] = {"choices": [*picked, picked[0]]}
    elif kind == "a category of nowhere":
        classify = next(q for q in questions if q.spec.kind is QuestionKind.CLASSIFY)
        items = right(classify.spec)["items"]
        chosen[classify.id] = {"items": {**items, next(iter(items)): "nowhere"}}
    return chosen


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("question of another quiz", "named a question that is not in this quiz"),
        ("option of another question", "named an option that does not belong to its question"),
        ("option that does not exist", "named an option that does not belong to its question"),
        ("an option chosen twice", "named an option that does not belong to its question"),
        ("a category of nowhere", "a category that does not belong to its question"),
    ],
)
def test_a_tampered_answer_is_refused_and_nothing_is_stored(
    learner: User, kind: str, message: str
) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    with pytest.raises(quizzes.AttemptError, match=message):
        quizzes.submit_attempt(attempt, _tampered(kind, quiz))
    # Refused whole: nothing is left in the session's transaction for a later commit to keep.
    assert not db.session.new and not db.session.dirty
    assert _stored_answers(attempt) == 0
    assert db.session.scalar(select(func.count()).select_from(HeldMisconception)) == 0
    db.session.rollback()
    attempt = _fresh(attempt)
    assert attempt.submitted_at is None and attempt.score is None
    assert _stored_answers(attempt) == 0
    assert db.session.scalar(select(func.count()).select_from(HeldMisconception)) == 0
    # The attempt is still open and can be answered properly.
    quizzes.submit_attempt(attempt, _answers(quiz))
    assert _fresh(attempt).score == len(quiz.questions)


def test_missing_answers_are_refused_saying_how_many(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    questions = quiz.questions
    left_out = _answers(quiz)
    del left_out[questions[0].id], left_out[questions[3].id]
    blank = {**_answers(quiz), questions[1].id: {}, questions[2].id: {}}
    only_one = {questions[0].id: _answers(quiz)[questions[0].id]}
    n = len(questions)
    for chosen, missing in ((left_out, 2), (blank, 2), (only_one, n - 1), ({}, n)):
        with pytest.raises(quizzes.AttemptError, match=f"{missing} not answered yet"):
            quizzes.submit_attempt(attempt, chosen)
        db.session.rollback()
        attempt = _fresh(attempt)
        assert attempt.submitted_at is None and _stored_answers(attempt) == 0


def test_an_empty_response_inside_a_full_set_is_refused(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    multiple = next(q for q in quiz.questions if q.spec.kind is QuestionKind.MULTIPLE)
    number = [q.id for q in quiz.questions].index(multiple.id) + 1
    chosen = {**_answers(quiz), multiple.id: {"choices": []}}
    with pytest.raises(quizzes.AttemptError, match=f"Question {number}: Choose at least one"):
        quizzes.submit_attempt(attempt, chosen)
    db.session.rollback()
    assert _stored_answers(_fresh(attempt)) == 0


# Practice: one question at a time, marked straight away.


def test_practice_marks_each_answer_straight_away_and_finishes_on_the_last(
    learner: User,
) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz, AttemptMode.PRACTICE)
    shown = quizzes.shown_questions(attempt)
    first = shown[0]
    answer, marking = quizzes.answer_question(attempt, 1, wrong(first.spec))
    assert not answer.is_correct and not marking.correct
    assert answer.revealed == [r.misconception_id for r in marking.revealed] != []
    attempt = _fresh(attempt)
    assert attempt.submitted_at is None and _stored_answers(attempt) == 1
    following = quizzes.next_unanswered(attempt)
    assert following is not None and following.number == 2
    for s in shown[1:]:
        assert attempt.submitted_at is None
        quizzes.answer_question(attempt, s.number, right(s.spec))
    attempt = _fresh(attempt)
    assert attempt.submitted_at is not None
    assert attempt.score == len(shown) - 1
    assert quizzes.next_unanswered(attempt) is None


def test_practice_refuses_a_replayed_or_out_of_turn_answer(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz, AttemptMode.PRACTICE)
    shown = quizzes.shown_questions(attempt)
    quizzes.answer_question(attempt, 1, wrong(shown[0].spec))
    stored = _fresh(attempt).answers[0].response
    for number, response in ((1, right(shown[0].spec)), (3, right(shown[2].spec))):
        with pytest.raises(quizzes.AttemptError, match="your first answer stands"):
            quizzes.answer_question(_fresh(attempt), number, response)
        db.session.rollback()
    attempt = _fresh(attempt)
    assert _stored_answers(attempt) == 1
    assert attempt.answers[0].response == stored


def test_practice_refuses_an_answer_to_a_finished_attempt(learner: User) -> None:
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz, AttemptMode.PRACTICE)
    for s in quizzes.shown_questions(attempt):
        quizzes.answer_question(attempt, s.number, right(s.spec))
    attempt = _fresh(attempt)
    with pytest.raises(quizzes.AttemptError, match="already submitted"):
        quizzes.answer_question(attempt, 1, right(quiz.questions[0].spec))


def test_a_resumed_attempt_is_marked_against_the_revision_it_showed(learner: User) -> None:
    """An edit to the question after the attempt began does not change what it is marked on."""
    quiz = _quiz()
    attempt = quizzes.start_attempt(learner, quiz)
    question = quiz.questions[0]
    before = question.spec
    old_right = right(before)
    # The tutor swaps which option is right and publishes it as revision 2.
    data = before.to_data()
    for option in data["options"]:
        option["correct"] = option["id"] == wrong(before)["choice"]
        option["misconception"] = None if option["correct"] else "pts-a.m1"
    quizzes.sync_question(
        question, question_from_data(data), QuestionStatus.PUBLISHED, None, "swap"
    )
    db.session.commit()
    assert question.revision == 2
    answers = _answers(quiz)
    answers[question.id] = old_right
    quizzes.submit_attempt(_fresh(attempt), answers)
    attempt = _fresh(attempt)
    first = next(a for a in attempt.answers if a.question_id == question.id)
    assert (first.revision, first.is_correct) == (1, True)
    assert attempt.score == len(quiz.questions)
