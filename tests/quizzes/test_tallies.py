"""The analytics' summaries (quizzes.tallies) stay equal to a count of the rows they summarise
through a random run of the quiz services: tests, and practice answered a question at a time,
reviews, misconceptions shown and cleared on later days, learners changing group; and the
analytics read from them give the figures of their definitions (test_analytics_sql's
references). On SQLite and PostgreSQL alike."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portfolio.auth import services as accounts
from portfolio.auth.models import Cohort, User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.quizzes import analytics, services, tallies
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    AttemptMode,
    ElementLearner,
    HeldMisconception,
    MisconceptionTally,
    QuestionScoreTally,
    QuestionTally,
    Quiz,
    QuizScoreTally,
)
from tests.factories import Factory
from tests.quizzes.support import right, wrong
from tests.quizzes.test_analytics_sql import (
    _heatmap,
    reference_heatmap,
    reference_misconception_stats,
    reference_question_stats,
)


def kept() -> dict[str, set[tuple[Any, ...]]]:
    """What the summary tables hold."""
    return {
        "question": {
            tuple(r)
            for r in db.session.execute(
                select(QuestionTally.question_id, QuestionTally.answered, QuestionTally.correct)
            )
        },
        "quiz_score": {
            tuple(r)
            for r in db.session.execute(
                select(QuizScoreTally.quiz_id, QuizScoreTally.score, QuizScoreTally.sittings)
            )
        },
        "question_score": {
            tuple(r)
            for r in db.session.execute(
                select(
                    QuestionScoreTally.question_id,
                    QuestionScoreTally.score,
                    QuestionScoreTally.answered,
                    QuestionScoreTally.correct,
                )
            )
        },
        "holding": {
            tuple(r)
            for r in db.session.execute(
                # A misconception everyone has cleared keeps its row, at 0.
                select(MisconceptionTally.misconception_id, MisconceptionTally.holding).where(
                    MisconceptionTally.holding != 0
                )
            )
        },
        "element_learner": {
            tuple(r)
            for r in db.session.execute(
                select(
                    ElementLearner.element_id,
                    ElementLearner.user_id,
                    ElementLearner.first_finished_at,
                )
            )
        },
    }


def counted() -> dict[str, set[tuple[Any, ...]]]:
    """The same, counted in Python from every attempt and answer."""
    attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
    element = {q.id: q.element_id for q in db.session.scalars(select(Quiz))}
    question: Counter[tuple[str, str]] = Counter()
    quiz_score: Counter[tuple[str, int]] = Counter()
    question_score: Counter[tuple[str, int, str]] = Counter()
    first: dict[tuple[str, int], datetime] = {}
    for answer in db.session.scalars(select(Answer)):
        question[(answer.question_id, "answered")] += 1
        question[(answer.question_id, "correct")] += answer.is_correct
        attempt = attempts[answer.attempt_id]
        if attempt.quiz_id is not None and attempt.submitted_at is not None:
            key = (answer.question_id, attempt.score or 0)
            question_score[(*key, "answered")] += 1
            question_score[(*key, "correct")] += answer.is_correct
    for attempt in attempts.values():
        if attempt.quiz_id is None or attempt.submitted_at is None:
            continue
        quiz_score[(attempt.quiz_id, attempt.score or 0)] += 1
        key = (element[attempt.quiz_id], attempt.user_id)
        first[key] = min(first.get(key, attempt.submitted_at), attempt.submitted_at)
    holding = Counter(
        row.misconception_id
        for row in db.session.scalars(select(HeldMisconception))
        if row.cleared_at is None
    )
    questions = {k for k, _ in question}
    by_score = {(q, s) for q, s, _ in question_score}
    return {
        "question": {(q, question[(q, "answered")], question[(q, "correct")]) for q in questions},
        "quiz_score": {(q, s, n) for (q, s), n in quiz_score.items()},
        "question_score": {
            (q, s, question_score[(q, s, "answered")], question_score[(q, s, "correct")])
            for q, s in by_score
        },
        "holding": set(holding.items()),
        "element_learner": {(e, u, at) for (e, u), at in first.items()},
    }


class Clock:
    """The services' clock, moved on by the test (misconceptions clear on a later day)."""

    def __init__(self) -> None:
        self.now = utcnow() - timedelta(days=30)

    def __call__(self) -> datetime:
        return self.now


def _respond(rng: random.Random, spec: Any, skill: float) -> dict[str, Any]:
    if rng.random() < skill:
        return right(spec)
    try:
        return wrong(spec)
    except AssertionError:  # no wrong answer to it reveals a misconception
        return right(spec)


def _step(rng: random.Random, clock: Clock, learner: User, cohorts: list[Cohort]) -> str:
    """One thing a learner (or an admin) does, at random."""
    quizzes = services.list_quiz_choices()
    choice = rng.random()
    skill = rng.random()
    if choice < 0.1:
        accounts.assign_cohort(learner, rng.choice([*cohorts, None]))
        return "group"
    if choice < 0.2:
        clock.now += timedelta(days=rng.choice([1, 2, 4]), hours=rng.randint(0, 5))
        return "day"
    if choice < 0.35:
        review = services.start_review(learner, now=clock.now)
        if review is None:
            return "no review"
        leave = rng.random() < 0.3  # after its first answer
        while (shown := services.next_unanswered(review)) is not None:
            if leave and shown.number > 1:
                return "review left open"
            services.answer_question(review, shown.number, _respond(rng, shown.spec, skill))
        return "review"
    quiz = rng.choice(quizzes)
    if choice < 0.7:
        attempt = services.start_attempt(learner, quiz, AttemptMode.TEST)
        responses = {
            s.question.id: _respond(rng, s.spec, skill) for s in services.shown_questions(attempt)
        }
        services.submit_attempt(attempt, responses)
        return "test"
    attempt = services.start_attempt(learner, quiz, AttemptMode.PRACTICE)
    for _ in range(rng.randint(1, 4)):
        shown = services.next_unanswered(attempt)
        if shown is None:
            break
        services.answer_question(attempt, shown.number, _respond(rng, shown.spec, skill))
    return "practice"


@pytest.mark.parametrize("seed", [1, 2])
def test_the_summaries_follow_a_random_run_of_the_services(
    ctx: None, make: Factory, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    clock = Clock()
    monkeypatch.setattr(services, "utcnow", clock)
    learners = [db.session.get(User, make.learner().id) for _ in range(7)]
    cohorts = [db.session.get(Cohort, make.cohort(f"Group {n}").id) for n in range(3)]
    assert all(learners) and all(cohorts)
    done: Counter[str] = Counter()
    for n in range(70):
        done[_step(rng, clock, rng.choice(learners), cohorts)] += 1  # type: ignore[arg-type]
        if n % 10 == 9:
            assert kept() == counted(), (n, done)
    # Every kind of change happened, and nothing was left uncommitted.
    assert {"group", "day", "review", "test", "practice"} <= set(done), done
    db.session.rollback()
    assert kept() == counted()
    cleared = select(HeldMisconception).where(HeldMisconception.cleared_at.is_not(None))
    assert db.session.scalars(cleared).first() is not None  # some were cleared
    # The figures read from the summaries are those of the definitions.
    now = clock.now
    for quiz in db.session.scalars(select(Quiz)):
        got = {
            s.question.id: (s.answered, s.facility, s.discrimination)
            for s in analytics.question_stats(quiz)
        }
        for question_id, (answered, facility, discrimination) in reference_question_stats(
            quiz
        ).items():
            assert got[question_id][0] == answered
            assert got[question_id][1] == pytest.approx(facility)
            assert got[question_id][2] == pytest.approx(discrimination)
    for when in (now, now + timedelta(days=3)):
        got_stats = [
            (s.misconception.id, s.holders_now, s.holders_week_ago, s.learners)
            for s in analytics.misconception_stats(now=when)
        ]
        assert got_stats == reference_misconception_stats(when)
        assert _heatmap(analytics.cohort_heatmap(now=when)) == reference_heatmap(when)


def test_rebuilding_gives_what_was_kept(ctx: None, make: Factory) -> None:
    """tallies.rebuild() (the benchmark's generator and the tests' raw rows use it) counts
    the same as the services kept, and clears what was there before."""
    rng = random.Random(5)
    clock = Clock()
    learners = [db.session.get(User, make.learner().id) for _ in range(4)]
    for _ in range(25):
        _step(rng, clock, rng.choice(learners), [])  # type: ignore[arg-type]
    before = kept()
    assert before["question"] and before["quiz_score"] and before["element_learner"]
    tallies.rebuild()
    db.session.commit()
    assert kept() == before == counted()
