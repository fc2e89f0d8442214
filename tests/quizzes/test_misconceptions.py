"""My misconceptions: a wrong answer adds the misconception it reveals; a right answer to a
question that tests it clears it, but only on a later day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from portfolio.auth.models import User
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.marking import mark
from portfolio.quizzes.models import HeldMisconception
from tests.conftest import login
from tests.factories import Factory
from tests.quizzes.support import right, wrong

QUIZ = "pts-a-rights"


def _answers(wrong_q1: bool = False) -> tuple[dict[str, dict[str, Any]], str]:
    """Right answers to every question, except question 1 wrong when `wrong_q1`; returns the
    answers and the misconception id that question 1's wrong answer reveals."""
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    chosen = {q.id: right(q.spec) for q in quiz.questions}
    first = quiz.questions[0]
    wrong_first = wrong(first.spec)
    (revealed,) = mark(first.spec, wrong_first).revealed
    if wrong_q1:
        chosen[first.id] = wrong_first
    return chosen, revealed.misconception_id


def _attempt(learner: User, wrong_q1: bool) -> str:
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    attempt = quizzes.start_attempt(learner, quiz)
    chosen, revealed = _answers(wrong_q1=wrong_q1)
    quizzes.submit_attempt(attempt, chosen)
    return revealed


def _held(learner: User) -> list[str]:
    return [h.misconception_id for h in quizzes.held_misconceptions(learner)]


def _age_everything(learner: User, days: int) -> None:
    for row in db.session.scalars(
        select(HeldMisconception).where(HeldMisconception.user_id == learner.id)
    ):
        row.last_seen_at -= timedelta(days=days)
    db.session.commit()


def test_a_wrong_answer_adds_it_and_a_later_right_answer_clears_it(
    ctx: None, make: Factory
) -> None:
    learner = db.session.get(User, make.learner().id)
    assert learner is not None
    revealed = _attempt(learner, wrong_q1=True)
    assert _held(learner) == [revealed]

    _attempt(learner, wrong_q1=False)  # right the same day: still held
    assert _held(learner) == [revealed]

    _age_everything(learner, days=1)
    _attempt(learner, wrong_q1=False)  # right on a later day: cleared
    assert _held(learner) == []
    assert [h.misconception_id for h in quizzes.cleared_misconceptions(learner)] == [revealed]

    _attempt(learner, wrong_q1=True)  # shown again: back on the list, counted
    row = quizzes.held_misconceptions(learner)[0]
    assert (row.misconception_id, row.times_seen, row.cleared_at) == (revealed, 2, None)


def test_right_answers_elsewhere_do_not_clear_it(ctx: None, make: Factory) -> None:
    """Every question that tests the misconception answered wrongly, every other one right,
    on a later day: the misconception stays on the list."""
    learner = db.session.get(User, make.learner().id)
    assert learner is not None
    revealed = _attempt(learner, wrong_q1=True)
    _age_everything(learner, days=2)
    quiz = quizzes.get_quiz(QUIZ)
    assert quiz is not None
    chosen, _ = _answers()
    for question in quiz.questions:
        if revealed in question.spec.misconceptions():
            chosen[question.id] = wrong(question.spec, revealed)
    assert chosen != _answers()[0]  # at least one question tests it
    quizzes.submit_attempt(quizzes.start_attempt(learner, quiz), chosen)
    assert revealed in _held(learner)


def test_the_page_lists_it_with_its_explanation_and_a_revision_link(
    app: Flask, make: Factory
) -> None:
    learner = make.learner()
    with app.app_context():
        person = db.session.get(User, learner.id)
        assert person is not None
        revealed = _attempt(person, wrong_q1=True)
        row = quizzes.held_misconceptions(person)[0]
        text, explanation = row.misconception.text, row.last_explanation
        first = quizzes.get_quiz(QUIZ).questions[0]  # type: ignore[union-attr]
        # What the learner reads again is why the answer they gave was wrong.
        assert explanation == mark(first.spec, wrong(first.spec)).revealed[0].explanation != ""
        assert row.last_question_id == first.id
    client = app.test_client()
    login(client, learner.email)
    html = client.get("/quizzes/misconceptions").get_data(as_text=True)
    assert revealed and "My misconceptions" in html
    assert text.replace("'", "&#39;") in html
    assert explanation.replace("'", "&#39;").replace('"', "&#34;") in html
    assert 'href="/pages/' in html


def test_another_learner_sees_an_empty_list(app: Flask, make: Factory) -> None:
    first, second = make.learner(), make.learner()
    with app.app_context():
        person = db.session.get(User, first.id)
        assert person is not None
        _attempt(person, wrong_q1=True)
    client = app.test_client()
    login(client, second.email)
    assert "You have no misconceptions on your list" in client.get(
        "/quizzes/misconceptions"
    ).get_data(as_text=True)


def test_a_wrong_answer_links_the_pages_that_correct_its_misconception(
    app: Flask, make: Factory
) -> None:
    from portfolio.content import services as content

    learner = make.learner()
    with app.app_context():
        person = db.session.get(User, learner.id)
        quiz = quizzes.get_quiz(QUIZ)
        assert person is not None and quiz is not None
        chosen, _ = _answers()
        question, target = next(
            (q, m)
            for q in quiz.questions
            for m in sorted(q.spec.misconceptions())
            if content.pages_for_misconception(m)
        )
        chosen[question.id] = wrong(question.spec, target, only=True)
        attempt = quizzes.start_attempt(person, quiz)
        quizzes.submit_attempt(attempt, chosen)
        attempt_id = attempt.id
        correcting = {p.slug for p in content.pages_for_misconception(target)}
        others = {p.slug for p in content.pages_for_element("pts-a")} - correcting
    client = app.test_client()
    login(client, learner.email)
    html = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert correcting and others
    assert all(f'href="/pages/{slug}"' in html for slug in correcting)
    assert not any(f'href="/pages/{slug}"' in html for slug in others)
