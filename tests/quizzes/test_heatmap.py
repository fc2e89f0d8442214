"""The tutors' heatmap of misconceptions by learner group (analytics.cohort_heatmap), from real
stored attempts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.quizzes import analytics, services, tallies
from portfolio.quizzes.marking import mark, right_answer
from portfolio.quizzes.models import HeldMisconception
from portfolio.quizzes.spec import QuestionKind, QuestionSpec
from tests.conftest import login
from tests.factories import Factory

QUIZ = "pts-a-rights"


def _wrong(spec: QuestionSpec) -> dict[str, Any] | None:
    """The first wrong single answer that reveals a misconception; None for other kinds."""
    if spec.kind is not QuestionKind.SINGLE:
        return None
    for choice in spec.choices:
        response = {"choice": choice.id}
        if not choice.correct and mark(spec, response).revealed:
            return response
    return None


def _take(learner: User, wrong: bool) -> None:
    """A finished test, every answer right, or with a wrong answer wherever one reveals a
    misconception: two learners who answer wrongly hold the same misconceptions."""
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    attempt = services.start_attempt(learner, quiz)
    responses = {}
    for shown in services.shown_questions(attempt):
        response = _wrong(shown.spec) if wrong else None
        responses[shown.question.id] = response or right_answer(shown.spec)
    services.submit_attempt(attempt, responses)


def _learners(make: Factory, n: int) -> list[User]:
    learners = [db.session.get(User, make.learner().id) for _ in range(n)]
    assert all(learners)
    return learners  # type: ignore[return-value]


@pytest.fixture
def groups(ctx: None, make: Factory) -> tuple[str, datetime]:
    """Day: three learners took the quiz, two answering wrongly, one of whom clears the target
    misconception tomorrow. Evening: one took it wrongly, one took nothing. Empty: nobody.
    And one learner in no group who took nothing."""
    day, evening = _learners(make, 3), _learners(make, 2)
    make.cohort("Day", *day)
    make.cohort("Evening", *evening)
    make.cohort("Empty")
    make.learner()
    for learner, wrong in [(day[0], True), (day[1], False), (day[2], True), (evening[0], True)]:
        _take(learner, wrong)
    held = select(HeldMisconception.misconception_id).where(HeldMisconception.user_id == day[2].id)
    target = min(db.session.scalars(held))
    tomorrow = utcnow() + timedelta(days=1)
    db.session.execute(
        update(HeldMisconception)
        .where(
            HeldMisconception.user_id == day[2].id,
            HeldMisconception.misconception_id == target,
        )
        .values(cleared_at=tomorrow)
    )
    tallies.rebuild()  # the row was changed straight in the table, not by the services
    db.session.commit()
    return target, tomorrow


def _row(heatmap: analytics.CohortHeatmap, misconception_id: str) -> list[str]:
    row = next(r for r in heatmap.rows if r.misconception.id == misconception_id)
    return [cell.summary for cell in row.cells]


def test_holders_in_each_group_out_of_those_who_took_a_quiz(
    groups: tuple[str, datetime],
) -> None:
    target, _ = groups
    heatmap = analytics.cohort_heatmap()
    assert [c.name for c in heatmap.columns] == ["Day", "Empty", "Evening", "No group"]
    # Before the clearing both wrong answerers in Day hold it. Nobody in Empty or in no group
    # has taken a quiz on the element: unknown, not 0%.
    assert _row(heatmap, target) == ["2 of 3 (67%)", "—", "1 of 1 (100%)", "—"]
    row = next(r for r in heatmap.rows if r.misconception.id == target)
    assert [c.share for c in row.cells] == [pytest.approx(2 / 3), None, 1.0, None]


def test_a_cleared_misconception_no_longer_counts(groups: tuple[str, datetime]) -> None:
    target, tomorrow = groups
    later = analytics.cohort_heatmap(now=tomorrow + timedelta(hours=1))
    assert _row(later, target) == ["1 of 3 (33%)", "—", "1 of 1 (100%)", "—"]


def test_rows_are_the_misconceptions_someone_holds(groups: tuple[str, datetime]) -> None:
    held = set(db.session.scalars(select(HeldMisconception.misconception_id)))
    assert held
    heatmap = analytics.cohort_heatmap()
    assert [r.misconception.id for r in heatmap.rows] == sorted(held)
    assert analytics.cohort_heatmap(now=utcnow() - timedelta(days=1)).rows == ()


def test_no_no_group_column_when_every_learner_is_in_a_group(ctx: None, make: Factory) -> None:
    learner = _learners(make, 1)[0]
    make.cohort("Only", learner)
    _take(learner, wrong=True)
    heatmap = analytics.cohort_heatmap()
    assert [c.name for c in heatmap.columns] == ["Only"]
    assert heatmap.rows and all(r.cells[0].summary == "1 of 1 (100%)" for r in heatmap.rows)


def test_a_fixed_number_of_queries_whatever_the_size(groups: tuple[str, datetime]) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        heatmap = analytics.cohort_heatmap()
        heatmap.chart()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(heatmap.rows) * len(heatmap.columns) > 5
    assert len(statements) <= 5, statements


def test_the_tutor_page_draws_the_heatmap_and_its_table(
    app: Flask, make: Factory, groups: tuple[str, datetime]
) -> None:
    tutor = make.user(Role.TUTOR)
    client = app.test_client()
    login(client, tutor.email)
    html = client.get("/quizzes/analytics").get_data(as_text=True)
    assert "Misconceptions by learner group" in html
    assert '<svg role="img" aria-labelledby="heatmap-title"' in html
    assert "<td>2 of 3 (67%)</td><td>—</td><td>1 of 1 (100%)</td><td>—</td>" in html
    assert '<th scope="col">Evening</th><th scope="col">No group</th>' in html
    # The chart writes each share in its cell, so colour is not the only cue.
    assert ">67%</text>" in html and ">100%</text>" in html


def test_the_page_says_so_when_nobody_holds_anything(app: Flask, make: Factory) -> None:
    tutor = make.user(Role.TUTOR)
    client = app.test_client()
    login(client, tutor.email)
    html = client.get("/quizzes/analytics").get_data(as_text=True)
    assert "No learner holds a misconception now." in html
    assert "<svg" not in html


def test_groups_named_alike_are_labelled_by_what_tells_them_apart(
    app: Flask, make: Factory
) -> None:
    """A centre names its groups by course and intake: cut to fit, every column label read
    "Level 2 Customer…". The shared start is said once; the labels show the rest."""
    with app.app_context():
        day, evening = _learners(make, 1), _learners(make, 1)
        make.cohort("Level 2 Customer Service — March day", *day)
        make.cohort("Level 2 Customer Service — April evening", *evening)
        make.learner()  # in no group: its column keeps its own name
        _take(day[0], wrong=True)
        _take(evening[0], wrong=True)
    tutor = make.user(Role.TUTOR)
    client = app.test_client()
    login(client, tutor.email)
    html = client.get("/quizzes/analytics").get_data(as_text=True)
    assert "names here all begin “Level 2 Customer Service —”" in html
    labels = re.findall(r'class="heatmap-label"><title>[^<]*</title><tspan[^>]*>([^<]*)<', html)
    assert labels == ["April evening", "March day", "No group"]
