"""Taking a quiz in the browser: nothing given away before answering, refusals explained and
nothing stored, feedback after each question in practice and at the end of a test, and a
review of due misconceptions on a later day."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portfolio.auth.models import Role, User
from portfolio.content import services as content
from portfolio.content.models import PageStatus
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.quizzes.feedback import pages_correcting
from portfolio.quizzes.marking import mark
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception
from portfolio.quizzes.spec import QuestionKind
from tests.conftest import login
from tests.factories import Factory
from tests.helpers import read_form, send, text
from tests.quizzes.support import Shown, fields, form, right, shown, wrong

QUIZ = "pts-a-rights"


@pytest.fixture
def learner(app: Flask, make: Factory) -> tuple[FlaskClient, User]:
    user = make.learner()
    client = app.test_client()
    login(client, user.email)
    return client, user


def _start(client: FlaskClient, quiz_id: str = QUIZ, mode: str = "test") -> str:
    response = send(client, f"/quizzes/{quiz_id}/attempts", {"mode": mode})
    assert response.status_code == 302
    return response.headers["Location"]


def _id(url: str) -> int:
    return int(url.rstrip("/").split("/")[-1])


def _state(app: Flask, url: str) -> tuple[int | None, int, object]:
    """(score, answers stored, submitted_at) of the attempt at `url`."""
    attempt_id = _id(url)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        answers = db.session.scalar(
            select(func.count()).select_from(Answer).where(Answer.attempt_id == attempt_id)
        )
        return attempt.score, answers, attempt.submitted_at


def _words(html: str) -> str:
    """The page's text as read: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _misconception_text(app: Flask, misconception_id: str) -> str:
    with app.app_context():
        found = qualifications.get_misconception(misconception_id)
        assert found is not None
        return found.text


# Test mode: every question on one page, marked at the end.


def test_starting_twice_resumes_the_same_attempt(learner: tuple[FlaskClient, User]) -> None:
    client, _ = learner
    test = _start(client)
    assert test == _start(client)
    practice = _start(client, mode="practice")
    assert practice == _start(client, mode="practice") != test


@pytest.mark.parametrize("mode", ["review", "exam", ""])
def test_a_forged_mode_is_refused(app: Flask, learner: tuple[FlaskClient, User], mode: str) -> None:
    client, _ = learner
    response = send(client, f"/quizzes/{QUIZ}/attempts", {"mode": mode})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_the_take_page_does_not_give_the_answers_away(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client)
    questions = shown(app, _id(url))
    assert {s.spec.kind for s in questions} >= {
        QuestionKind.SINGLE,
        QuestionKind.MULTIPLE,
        QuestionKind.TRUE_FALSE,
        QuestionKind.CLASSIFY,
    }
    html = client.get(url).get_data(as_text=True)
    page = text(html)
    for s in questions:
        assert s.spec.stem in page
        if s.spec.scenario:
            assert s.spec.scenario in page
        if s.spec.explanation:
            assert s.spec.explanation not in page
        if s.spec.misconception:
            assert _misconception_text(app, s.spec.misconception) not in page
        for c in s.spec.choices:
            assert c.text in page
            if c.explanation:
                assert c.explanation not in page
            if c.misconception:
                assert _misconception_text(app, c.misconception) not in page
    # Two stems ask "which is correct?"; beyond them, nothing on the page says "correct".
    rest = page
    for s in questions:
        rest = rest.replace(s.spec.stem, "")
    assert "correct" not in rest.lower()
    assert "explanation" not in rest.lower() and "misconception" not in rest.lower()
    # Each question's choices are shown in the attempt's own shuffled order, and their values
    # are positions in it, never the question's ids.
    for s in questions:
        if s.spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            found = re.findall(
                rf'name="q{s.number}" type="(?:radio|checkbox)" value="([^"]+)"> '
                rf'<label for="q{s.number}-\d+">([^<]*)</label>',
                html,
            )
            texts = {c.id: c.text for c in s.spec.choices}
            assert [(v, unescape(t)) for v, t in found] == [
                (str(n), texts[i]) for n, i in enumerate(s.order)
            ]
        elif s.spec.kind is QuestionKind.CLASSIFY:
            texts = {c.id: c.text for c in s.spec.choices}
            legends = [
                unescape(t).strip()
                for t in re.findall(
                    r'<fieldset class="classify-item">\s*<legend>([^<]*)</legend>', html
                )
            ]
            assert legends == [texts[i] for i in s.order]
        for c in s.spec.choices:
            assert f'value="{c.id}"' not in html


def test_submitting_marks_the_score(app: Flask, learner: tuple[FlaskClient, User]) -> None:
    client, _ = learner
    url = _start(client)
    questions = shown(app, _id(url))
    # Nothing is fed back before the end of a test.
    assert client.get(f"{url}/answers/1").status_code == 404
    response = send(client, url, form(questions, wrong_numbers={2}))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}/result"
    n = len(questions)
    assert _state(app, url)[:2] == (n - 1, n)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"You scored <strong>{n - 1} out of {n}</strong>" in result
    assert result.count("Not right") == 1 and result.count("Correct") == n - 1


def test_every_kind_of_question_is_marked_through_the_form(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    """The form's fields for each type come back as the response that was meant."""
    client, _ = learner
    url = _start(client, "pts-b-resolution")
    questions = shown(app, _id(url))
    assert QuestionKind.ORDER in {s.spec.kind for s in questions}
    wrong_ones = {s.number for s in questions if s.number % 2}
    send(client, url, form(questions, wrong_numbers=wrong_ones))
    with app.app_context():
        attempt = db.session.get(Attempt, _id(url))
        assert attempt is not None
        stored = {a.question_id: a for a in attempt.answers}
    for s in questions:
        meant = wrong(s.spec) if s.number in wrong_ones else right(s.spec)
        answer = stored[s.question_id]
        assert answer.response == meant, s.spec.kind
        assert answer.is_correct is (s.number not in wrong_ones)
        assert answer.revealed == [r.misconception_id for r in mark(s.spec, meant).revealed]


def test_a_second_submission_changes_nothing(app: Flask, learner: tuple[FlaskClient, User]) -> None:
    client, _ = learner
    url = _start(client)
    questions = shown(app, _id(url))
    send(client, url, form(questions, wrong_numbers={1, 2, 3}))
    before = _state(app, url)
    assert before[:2] == (len(questions) - 3, len(questions))

    again = send(client, url, form(questions))
    assert again.status_code == 302
    assert again.headers["Location"] == f"{url}/result"
    assert _state(app, url) == before
    assert "already submitted" in client.get(again.headers["Location"]).get_data(as_text=True)


def _single(questions: list[Shown]) -> Shown:
    return next(s for s in questions if s.spec.kind is QuestionKind.SINGLE)


def _of_kind(questions: list[Shown], kind: QuestionKind) -> Shown:
    return next(s for s in questions if s.spec.kind is kind)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ("position past the last option", "The answer named an option that does not belong"),
        ("negative position", "The answer named an option that does not belong"),
        ("an option id instead of a position", "The answer named an option that does not belong"),
        ("a category of nowhere", "An item was put in a category that does not belong"),
        ("a position that is not a number", "Give each step a different position"),
    ],
)
def test_a_tampered_answer_is_refused_next_to_its_question_and_nothing_stored(
    app: Flask, learner: tuple[FlaskClient, User], tamper: str, message: str
) -> None:
    client, _ = learner
    url = _start(client, "pts-b-resolution" if "number" in tamper else QUIZ)
    questions = shown(app, _id(url))
    data = form(questions)
    if tamper == "position past the last option":
        target = _single(questions)
        data[f"q{target.number}"] = str(len(target.order))
    elif tamper == "negative position":
        target = _single(questions)
        data[f"q{target.number}"] = "-1"
    elif tamper == "an option id instead of a position":
        target = _single(questions)
        data[f"q{target.number}"] = right(target.spec)["choice"]
    elif tamper == "a category of nowhere":
        target = _of_kind(questions, QuestionKind.CLASSIFY)
        data[f"q{target.number}_0"] = "praise"
    else:
        target = _of_kind(questions, QuestionKind.ORDER)
        data[f"q{target.number}_0"] = "x"
    response = send(client, url, data)
    assert response.status_code == 200
    assert "1 of your answers needs attention: see below." in text(response)
    errors = read_form(response).errors
    assert list(errors) == [f"q{target.number}"]
    assert errors[f"q{target.number}"].startswith(f"Error: {message}")
    assert _state(app, url) == (None, 0, None)


def test_a_question_of_another_quiz_is_ignored_by_the_form(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client)
    questions = shown(app, _id(url))
    other = _start(client, "pts-b-resolution")
    others = shown(app, _id(other))
    # The form knows only this attempt's questions: a smuggled extra field cannot add one.
    smuggled = {f"q{len(questions) + 1}": "0", others[0].question_id: "0", "number": "1"}
    response = send(client, url, {**form(questions), **smuggled})
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.scalars(
            select(Answer.question_id).join(Attempt).where(Attempt.quiz_id == QUIZ)
        ).all()
    assert sorted(stored) == sorted(s.question_id for s in questions)
    assert _state(app, other) == (None, 0, None)


def test_missing_answers_are_refused_saying_how_many_and_kept(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client)
    questions = shown(app, _id(url))
    data = form(questions)
    del data["q2"], data["q5"]
    response = send(client, url, data)
    assert response.status_code == 200
    assert "2 of your answers need attention: see below." in text(response)
    page = read_form(response)
    assert page.errors == {"q2": "Error: Choose an answer.", "q5": "Error: Choose an answer."}
    assert page.value("q1") == data["q1"]  # the answers given stay ticked
    assert page.value("q2") is None
    for s in questions:
        for name, value in fields(s, right(s.spec)).items():
            if name in data:
                assert sorted(page.all(name)) == sorted(
                    value if isinstance(value, list) else [value]
                ), name
    assert _state(app, url) == (None, 0, None)


def test_an_order_question_with_two_steps_in_one_place_is_shown_again_with_its_error(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client, "pts-b-resolution")
    questions = shown(app, _id(url))
    order = _of_kind(questions, QuestionKind.ORDER)
    data = form(questions)
    data[f"q{order.number}_1"] = data[f"q{order.number}_0"]
    response = send(client, url, data)
    assert response.status_code == 200
    assert "1 of your answers needs attention: see below." in text(response)
    page = read_form(response)
    assert page.errors == {
        f"q{order.number}": "Error: Give each step a different position, from 1 to the last."
    }
    # The error is inside that question's group, and every answer typed is still there.
    html = response.get_data(as_text=True)
    group = html[html.index(f'id="q{order.number}"') :]
    group = group[: group.index("</fieldset>")]
    assert f'id="q{order.number}-error"' in group
    # ...and read out with the question: its case text, how to answer, then the error.
    described = [f"q{order.number}-how", f"q{order.number}-error"]
    if order.spec.scenario:
        described.insert(0, f"q{order.number}-case")
    assert f'id="q{order.number}" aria-describedby="{" ".join(described)}"' in html
    for name, value in data.items():
        assert sorted(page.all(name)) == sorted(value if isinstance(value, list) else [value]), name
    assert _state(app, url) == (None, 0, None)


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
    url = _start(client)
    questions = shown(app, _id(url))
    first = questions[0]
    assert first.spec.kind is QuestionKind.SINGLE
    wrong_first = wrong(first.spec)
    send(client, url, form(questions, wrong_numbers={1}))
    (revealed,) = mark(first.spec, wrong_first).revealed
    with app.app_context():
        misconception = qualifications.get_misconception(revealed.misconception_id)
        assert misconception is not None
        own_pages = {p.slug for p in content.pages_for_misconception(misconception.id)}
    result_url = f"{url}/result"
    if not own_pages:
        # The element's page is still a draft: it is not offered to the learner.
        assert 'href="/pages/pts-a-overview"' not in client.get(result_url).get_data(as_text=True)
        _publish(app, "pts-a-overview")
    html = client.get(result_url).get_data(as_text=True)
    words = _words(html)
    texts = {c.id: c for c in first.spec.choices}
    right_choice = texts[right(first.spec)["choice"]]
    assert "The misconception behind it" in words
    assert misconception.text in words
    assert revealed.explanation in words
    assert f"Your answer: {texts[wrong_first['choice']].text}" in words
    assert f"The right answer: {right_choice.text}" in words
    with app.app_context():
        found = qualifications.get_misconception(misconception.id)
        assert found is not None
        links = {p.slug for p in pages_correcting(found)}
    assert links
    assert all(f'href="/pages/{slug}"' in html for slug in links)
    # Right answers are not shown a misconception, and their teaching is there.
    assert html.count("The misconception behind it") == 1
    assert right_choice.explanation in words
    for s in questions[1:]:
        for line in s.spec.explanation.split("\n") if s.spec.explanation else []:
            assert " ".join(line.split()) in words


# Practice mode: one question a page, feedback straight after it.


def _practice_page(client: FlaskClient, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def test_practice_asks_one_question_a_page_and_gives_feedback_after_each(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client, mode="practice")
    questions = shown(app, _id(url))
    first = questions[0]
    html = _practice_page(client, url)
    assert "Practice: feedback after each question. Question 1 of" in _words(html)
    assert 'name="number" type="hidden" value="1"' in html or 'name="number" value="1"' in html
    assert first.spec.stem in text(html) and questions[1].spec.stem not in text(html)
    assert "Check my answer" in html

    # Pick a wrong answer whose misconception has a published page to revise from.
    with app.app_context():
        candidates = [
            (m, pages_correcting(found))
            for m in sorted(first.spec.misconceptions())
            if (found := qualifications.get_misconception(m)) is not None
        ]
    misconception_id, pages = next(((m, p) for m, p in candidates if p), (None, []))
    if misconception_id is None:
        _publish(app, "pts-a-overview")
        misconception_id = sorted(first.spec.misconceptions())[0]
        with app.app_context():
            found = qualifications.get_misconception(misconception_id)
            assert found is not None
            pages = pages_correcting(found)
    slugs = [p.slug for p in pages]
    response_data = wrong(first.spec, misconception_id, only=True)
    (revealed,) = mark(first.spec, response_data).revealed
    answered = send(client, url, {"number": "1", **fields(first, response_data)})
    assert answered.status_code == 302
    assert answered.headers["Location"] == f"{url}/answers/1"
    assert _state(app, url) == (None, 1, None)

    feedback = client.get(answered.headers["Location"]).get_data(as_text=True)
    words = _words(feedback)
    assert "question 1 of" in words and "Not right" in words
    assert "The misconception behind it" in words
    assert _misconception_text(app, misconception_id) in words
    assert revealed.explanation in words
    assert slugs and all(f'href="/pages/{slug}"' in feedback for slug in slugs)
    assert "Revise:" in words
    assert f'href="{url}"' in feedback and "Next question" in words

    # The next page is question 2; its answer is not on the page before it is answered.
    html = _practice_page(client, url)
    second = questions[1]
    assert "Question 2 of" in _words(html) and second.spec.stem in text(html)
    for c in second.spec.choices:
        if c.explanation:
            assert c.explanation not in text(html)


def test_practice_a_replayed_answer_changes_nothing_and_says_so(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client, mode="practice")
    questions = shown(app, _id(url))
    first = questions[0]
    send(client, url, {"number": "1", **fields(first, wrong(first.spec))})
    with app.app_context():
        stored = db.session.scalars(select(Answer).where(Answer.attempt_id == _id(url))).one()
        before = (stored.response, stored.is_correct, stored.answered_at)

    # The browser's back button and the same form sent again, this time with the right answer.
    replay = send(client, url, {"number": "1", **fields(first, right(first.spec))})
    assert replay.status_code == 302 and replay.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "That question was already answered; your first answer stands." in text(page)
    assert "Question 2 of" in _words(page)
    with app.app_context():
        stored = db.session.scalars(select(Answer).where(Answer.attempt_id == _id(url))).one()
        assert (stored.response, stored.is_correct, stored.answered_at) == before
    assert _state(app, url) == (None, 1, None)
    # Feedback on a question not yet answered, or not in the attempt, is not found.
    assert client.get(f"{url}/answers/2").status_code == 404
    assert client.get(f"{url}/answers/0").status_code == 404
    assert client.get(f"{url}/answers/{len(questions) + 1}").status_code == 404


def test_practice_an_unanswered_question_is_asked_again_with_its_error(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client, mode="practice")
    response = send(client, url, {"number": "1"})
    assert response.status_code == 200
    assert "Your answer needs attention: see below." in text(response)
    assert read_form(response).errors == {"q1": "Error: Choose an answer."}
    assert _state(app, url) == (None, 0, None)


def test_practice_finishes_with_the_last_answer_and_shows_the_results(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, _ = learner
    url = _start(client, mode="practice")
    questions = shown(app, _id(url))
    for s in questions:
        response = wrong(s.spec) if s.number == 2 else right(s.spec)
        answered = send(client, url, {"number": str(s.number), **fields(s, response)})
        assert answered.headers["Location"] == f"{url}/answers/{s.number}"
    n = len(questions)
    assert _state(app, url)[:2] == (n - 1, n)
    last = client.get(f"{url}/answers/{n}").get_data(as_text=True)
    assert "See your results" in last and f'href="{url}/result"' in last
    result = client.get(f"{url}/result").get_data(as_text=True)
    assert f"You scored <strong>{n - 1} out of {n}</strong>" in result
    # The finished attempt takes no more answers.
    again = send(client, url, {"number": "1", **fields(questions[0], right(questions[0].spec))})
    assert again.headers["Location"] == f"{url}/result"
    assert "already submitted" in client.get(f"{url}/result").get_data(as_text=True)
    assert _state(app, url)[:2] == (n - 1, n)


# Review: misconceptions asked again on a later day.


def _move_back(app: Flask, user: User, days: int = 1) -> None:
    """Time moves on: what this learner was shown happened `days` earlier."""
    with app.app_context():
        for row in db.session.scalars(
            select(HeldMisconception).where(HeldMisconception.user_id == user.id)
        ):
            row.last_seen_at -= timedelta(days=days)
            row.first_seen_at -= timedelta(days=days)
            assert row.due_at is not None
            row.due_at -= timedelta(days=days)
        db.session.commit()


def test_a_review_on_a_later_day_asks_it_again_and_a_right_answer_clears_it(
    app: Flask, learner: tuple[FlaskClient, User]
) -> None:
    client, user = learner
    url = _start(client, mode="practice")
    first = shown(app, _id(url))[0]
    response_data = wrong(first.spec)
    (revealed,) = mark(first.spec, response_data).revealed
    send(client, url, {"number": "1", **fields(first, response_data)})
    misconception = _misconception_text(app, revealed.misconception_id)

    # The same day: nothing is due.
    index = _words(client.get("/quizzes/").get_data(as_text=True))
    assert "Nothing is due now. Your next review is due on" in index
    refused = send(client, "/quizzes/review", {})
    assert refused.headers["Location"] == "/quizzes/"
    assert "Nothing is due for review yet." in text(client.get("/quizzes/"))
    held = client.get("/quizzes/misconceptions").get_data(as_text=True)
    assert misconception in text(held) and "Cleared" not in held

    _move_back(app, user)
    assert "1 misconception is due to be asked again." in _words(
        client.get("/quizzes/").get_data(as_text=True)
    )
    assert "1 misconception is due to be asked again." in _words(
        client.get("/quizzes/misconceptions").get_data(as_text=True)
    )
    started = send(client, "/quizzes/review", {})
    assert started.status_code == 302
    review_url = started.headers["Location"]
    assert review_url != url
    (asked,) = shown(app, _id(review_url))
    assert revealed.misconception_id in asked.spec.misconceptions()
    page = client.get(review_url).get_data(as_text=True)
    assert "Review of your misconceptions" in page and asked.spec.stem in text(page)
    # Starting again resumes it.
    assert send(client, "/quizzes/review", {}).headers["Location"] == review_url

    answered = send(client, review_url, {"number": "1", **fields(asked, right(asked.spec))})
    assert answered.headers["Location"] == f"{review_url}/answers/1"
    feedback = _words(client.get(answered.headers["Location"]).get_data(as_text=True))
    assert "Correct" in feedback and "See your results" in feedback

    mine = client.get("/quizzes/misconceptions").get_data(as_text=True)
    listed = mine[: mine.index("<h2>Cleared</h2>")]
    assert misconception not in text(listed)
    assert "You have no misconceptions on your list" in listed
    assert misconception in text(mine[mine.index("<h2>Cleared</h2>") :])
    with app.app_context():
        row = db.session.get(HeldMisconception, (user.id, revealed.misconception_id))
        assert row is not None and row.cleared_at is not None and row.box == 2
        assert row.due_at is not None
        assert abs(row.due_at - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)
    index = _words(client.get("/quizzes/").get_data(as_text=True))
    assert "Nothing is due now." in index


def test_another_learners_attempt_and_feedback_are_not_found(
    app: Flask, learner: tuple[FlaskClient, User], make: Factory
) -> None:
    client, _ = learner
    url = _start(client, mode="practice")
    first = shown(app, _id(url))[0]
    send(client, url, {"number": "1", **fields(first, right(first.spec))})
    assert client.get(f"{url}/answers/1").status_code == 200
    other = app.test_client()
    login(other, make.learner().email)
    for path in (url, f"{url}/answers/1", f"{url}/result"):
        assert other.get(path).status_code == 404, path
    second = shown(app, _id(url))[1]
    answer: dict[str, Any] = {"number": "2", **fields(second, right(second.spec))}
    assert send(other, url, answer).status_code == 404
    assert _state(app, url) == (None, 1, None)
