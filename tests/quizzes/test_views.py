"""Taking a quiz in the browser: nothing given away before answering, refusals explained,
and each wrong answer's misconception shown afterwards."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.content.models import PageStatus
from portfolio.extensions import db
from portfolio.quizzes import services as quizzes
from portfolio.quizzes.models import Answer, Attempt
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text

QUIZ = "pts-a-rights"


@dataclass(frozen=True)
class Opt:
    id: str
    text: str
    correct: bool
    explanation: str
    misconception: str | None


@dataclass(frozen=True)
class Q:
    id: str
    stem: str
    options: tuple[Opt, ...]

    @property
    def right(self) -> Opt:
        return next(o for o in self.options if o.correct)

    @property
    def wrong(self) -> Opt:
        return next(o for o in self.options if not o.correct)


def _questions(app: Flask, quiz_id: str = QUIZ) -> list[Q]:
    with app.app_context():
        quiz = quizzes.get_quiz(quiz_id)
        assert quiz is not None
        return [
            Q(
                q.id,
                q.stem,
                tuple(
                    Opt(
                        o.id,
                        o.text,
                        o.is_correct,
                        o.explanation,
                        o.misconception.text if o.misconception else None,
                    )
                    for o in q.options
                ),
            )
            for q in quiz.questions
        ]


@pytest.fixture
def learner(app: Flask, make: Factory) -> tuple[FlaskClient, User]:
    user = make.learner()
    client = app.test_client()
    login(client, user.email)
    return client, user


def _start(client: FlaskClient, quiz_id: str = QUIZ) -> str:
    response = send(client, f"/quizzes/{quiz_id}/attempts", {})
    assert response.status_code == 302
    return response.headers["Location"]


def _names(html: str) -> list[str]:
    """Field names q1, q2 ... in page order."""
    return list(dict.fromkeys(re.findall(r'name="(q\d+)" type="radio"', html)))


def _attempt(app: Flask, url: str) -> tuple[int | None, int, object]:
    attempt_id = int(url.rstrip("/").split("/")[-1])
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        answers = db.session.scalar(
            select(func.count()).select_from(Answer).where(Answer.attempt_id == attempt_id)
        )
        return attempt.score, answers, attempt.submitted_at


def _form(questions: list[Q], wrong: Collection[int] = ()) -> dict[str, str]:
    return {
        f"q{n}": (q.wrong if n in wrong else q.right).id for n, q in enumerate(questions, start=1)
    }


def test_starting_twice_resumes_the_same_attempt(learner: tuple[FlaskClient, User]) -> None:
    client, _ = learner
    assert _start(client) == _start(client)


def test_the_take_page_does_not_give_the_answers_away(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    questions = _questions(app)
    html = client.get(_start(client)).get_data(as_text=True)
    shown = text(html)
    for q in questions:
        assert q.stem in shown
        for o in q.options:
            assert o.text in shown
            assert o.explanation not in shown
            if o.misconception:
                assert o.misconception not in shown
    # Two stems ask "which is correct?"; beyond them, nothing on the page says "correct".
    rest = shown
    for q in questions:
        rest = rest.replace(q.stem, "")
    assert "correct" not in rest.lower()
    assert "explanation" not in rest.lower() and "misconception" not in rest.lower()
    # The options are shown in the attempt's own shuffled order.
    with app.app_context():
        attempt = quizzes.start_attempt(db.session.get(User, learner[1].id), quizzes.get_quiz(QUIZ))
        order = [[o.id for o in opts] for _, opts in quizzes.shuffled_options(attempt)]
    for name, ids in zip(_names(html), order, strict=True):
        assert re.findall(rf'name="{name}" type="radio" value="([^"]+)"', html) == ids


def test_submitting_marks_the_score(app: Flask, learner: tuple[FlaskClient, User]) -> None:
    client, _ = learner
    questions = _questions(app)
    url = _start(client)
    response = send(client, url, _form(questions, wrong={2}))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}/result"
    n = len(questions)
    assert _attempt(app, url)[:2] == (n - 1, n)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"You scored <strong>{n - 1} out of {n}</strong>" in result


def test_a_second_submission_changes_nothing(app: Flask, learner: tuple[FlaskClient, User]) -> None:
    client, _ = learner
    questions = _questions(app)
    url = _start(client)
    send(client, url, _form(questions, wrong={1, 2, 3}))
    before = _attempt(app, url)
    assert before[:2] == (len(questions) - 3, len(questions))

    again = send(client, url, _form(questions))
    assert again.status_code == 302
    assert again.headers["Location"] == f"{url}/result"
    assert _attempt(app, url) == before
    assert "already submitted" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_an_option_from_another_question_is_refused_and_nothing_stored(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    questions = _questions(app)
    url = _start(client)
    data = _form(questions)
    data["q1"] = questions[1].right.id
    response = send(client, url, data)
    assert response.status_code == 200
    assert "An answer named an option that does not belong to its question." in text(response)
    assert _attempt(app, url) == (None, 0, None)


def test_a_question_of_another_quiz_is_ignored_by_the_form(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    questions = _questions(app)
    other = _questions(app, "pts-b-resolution")[0]
    url = _start(client)
    # The form knows only this attempt's questions: a smuggled extra field cannot add one.
    response = send(client, url, {**_form(questions), "q7": other.right.id, other.id: "x"})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(
            select(Answer.question_id).join(Attempt).where(Attempt.quiz_id == QUIZ)
        ).all()
    assert sorted(stored) == sorted(q.id for q in questions)


def test_missing_answers_are_refused_saying_how_many_and_kept(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    questions = _questions(app)
    url = _start(client)
    data = _form(questions)
    del data["q2"], data["q5"]
    response = send(client, url, data)
    assert response.status_code == 200
    assert "Answer every question: 2 not answered yet." in text(response)
    form = read_form(response)
    assert form.value("q1") == data["q1"]  # the answers given stay ticked
    assert form.value("q2") is None
    assert _attempt(app, url) == (None, 0, None)


def _publish(app: Flask, slug: str) -> None:
    with app.app_context():
        page = content.get_page(slug, include_unpublished=True)
        assert page is not None
        tutor = db.session.get(User, Factory(app).user(Role.TUTOR).id)
        fields = replace(content.PageFields.from_page(page), status=PageStatus.PUBLISHED)
        content.save_page(page, tutor, fields, page.version)


def test_the_result_explains_each_wrong_answer_and_links_the_revision_page(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    questions = _questions(app)
    url = _start(client)
    send(client, url, _form(questions, wrong={1}))
    result_url = f"{url}/result"
    # The element's page is still a draft: it is not offered to the learner.
    assert 'href="/pages/pts-a-overview"' not in client.get(result_url).get_data(as_text=True)

    _publish(app, "pts-a-overview")
    html = client.get(result_url).get_data(as_text=True)
    shown = text(html)
    wrong, right = questions[0].wrong, questions[0].right
    assert "The misconception behind it" in shown
    assert wrong.misconception and wrong.misconception in shown
    assert wrong.explanation in shown
    assert f"The right answer: {right.text}" in re.sub(r"</?strong>", "", shown)
    assert 'href="/pages/pts-a-overview"' in html
    # Right answers are not shown a misconception.
    assert html.count("The misconception behind it") == 1
    for q in questions[1:]:
        assert q.right.explanation in shown
