"""Facility, discrimination and who holds each misconception, from real stored attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.quizzes import analytics, services
from portfolio.quizzes.models import HeldMisconception
from tests.conftest import login
from tests.factories import Factory
from tests.quizzes.support import right as answer
from tests.quizzes.support import wrong

QUIZ = "pts-a-rights"


def _take(learner: User, right: int) -> None:
    """Answer the first `right` questions correctly and the rest wrongly."""
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    chosen = {
        question.id: answer(question.spec) if n < right else wrong(question.spec)
        for n, question in enumerate(quiz.questions)
    }
    services.submit_attempt(services.start_attempt(learner, quiz), chosen)


@pytest.fixture
def cohort(ctx: None, make: Factory) -> list[User]:
    learners = [db.session.get(User, make.learner().id) for _ in range(8)]
    # Scores 0..6 and one more 6: question 1 is right for everyone who got anything right,
    # the last question only for the strongest.
    for learner, right in zip(learners, [0, 1, 2, 3, 4, 5, 6, 6], strict=True):
        assert learner is not None
        _take(learner, right)
    return learners  # type: ignore[return-value]


def test_facility_and_discrimination(cohort: list[User]) -> None:
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    stats = {s.question.position: s for s in analytics.question_stats(quiz)}
    assert stats[0].answered == 8
    assert stats[0].facility == pytest.approx(7 / 8)
    assert stats[5].facility == pytest.approx(2 / 8)
    # Upper and lower groups are 2 attempts each (27% of 8): scores 6,6 and 0,1.
    assert stats[5].discrimination == pytest.approx(1.0)  # only the strongest got it
    assert stats[0].discrimination == pytest.approx(0.5)  # upper 2 of 2, lower 1 of 2


def test_too_few_attempts_show_no_discrimination(ctx: None, make: Factory) -> None:
    learner = db.session.get(User, make.learner().id)
    assert learner is not None
    _take(learner, 3)
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    assert all(s.discrimination is None for s in analytics.question_stats(quiz))


def test_holders_now_and_a_week_ago(cohort: list[User]) -> None:
    by_id = {s.misconception.id: s for s in analytics.misconception_stats()}
    held = db.session.scalars(select(HeldMisconception)).all()
    assert held, "wrong answers must have recorded misconceptions"
    some = held[0].misconception_id
    holders = {h.user_id for h in held if h.misconception_id == some}
    assert by_id[some].holders_now == len(holders)
    assert by_id[some].learners == 8
    assert by_id[some].holders_week_ago == 0 and by_id[some].trend == "rising"
    later = analytics.misconception_stats(now=utcnow() + timedelta(days=8))
    assert {s.misconception.id: s for s in later}[some].holders_week_ago == len(holders)


def test_the_tutor_page(app: Flask, make: Factory) -> None:
    tutor = make.user(Role.TUTOR)
    client = app.test_client()
    login(client, tutor.email)
    html = client.get("/quizzes/analytics").get_data(as_text=True)
    assert "Quiz analytics" in html and "Facility" in html and "Discrimination" in html


def test_one_click_sends_a_page_to_every_holder_until_they_read_it(
    app: Flask, make: Factory
) -> None:
    from portfolio.content import services as content
    from portfolio.quizzes.models import ReadingSuggestion

    tutor, holder, other = make.user(Role.TUTOR), make.learner(), make.learner()
    with app.app_context():
        person = db.session.get(User, holder.id)
        assert person is not None
        _take(person, 0)  # every answer wrong: holds misconceptions
        held = services.held_misconceptions(person)[0]
        target, page = held.misconception_id, content.pages_for_element("pts-a")[0]
        page_id, slug = page.id, page.slug
    client = app.test_client()
    login(client, tutor.email)
    analytics_html = client.get("/quizzes/analytics").get_data(as_text=True)
    assert f"/quizzes/misconceptions/{target}/send" in analytics_html
    response = client.post(
        f"/quizzes/misconceptions/{target}/send",
        data={"page_id": page_id, "csrf_token": _token(client)},
    )
    assert response.status_code == 302
    assert "Sent to 1 learner." in client.get("/quizzes/analytics").get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(ReadingSuggestion)).all()
        assert [(r.user_id, r.page_id) for r in rows] == [(holder.id, page_id)]

    learner = app.test_client()
    login(learner, holder.email)
    assert f'href="/pages/{slug}"' in learner.get("/").get_data(as_text=True)
    learner.post(f"/pages/{slug}/read", data={"csrf_token": _token(learner)})
    assert "Your tutor suggests reading" not in learner.get("/").get_data(as_text=True)
    bystander = app.test_client()
    login(bystander, other.email)
    assert "Your tutor suggests reading" not in bystander.get("/").get_data(as_text=True)


def test_sending_a_draft_or_unknown_page_is_refused(app: Flask, make: Factory) -> None:
    tutor = make.user(Role.TUTOR)
    client = app.test_client()
    login(client, tutor.email)
    with app.app_context():
        from portfolio.content import services as content

        draft = content.get_page("pts-a-overview", include_unpublished=True)
        assert draft is not None and draft.status.value == "draft"
        draft_id = str(draft.id)
    for page_id in (draft_id, "999999", "not-a-number"):
        client.post(
            "/quizzes/misconceptions/pts-a.m1/send",
            data={"page_id": page_id, "csrf_token": _token(client)},
        )
        assert "Choose a published revision page" in client.get("/quizzes/analytics").get_data(
            as_text=True
        )
    assert (
        client.post(
            "/quizzes/misconceptions/nope/send", data={"page_id": "1", "csrf_token": _token(client)}
        ).status_code
        == 404
    )


def _token(client: object) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")  # type: ignore[arg-type]
