"""A centre's quiz data at a chosen size, written straight to the tables (the rows the quiz
services would write, and the analytics' summaries they keep): learners in groups, finished and unfinished attempts in every mode with
their answers, and misconceptions held, cleared and due. For tests that count statements at
two sizes and compare the analytics' SQL with the definitions they replace."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from portfolio.auth.models import Role, User
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import tallies
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    AttemptMode,
    HeldMisconception,
    Question,
    QuestionStatus,
    Quiz,
)
from tests.factories import Factory

GROUPS = ("Day", "Evening", "Weekend")


def learners(make: Factory, n: int, *, grouped: bool = True, tag: str = "") -> list[int]:
    """`n` learners; with `grouped`, all but every fourth spread over three new groups
    (named "<group> <n><tag>")."""
    ids = [make.learner().id for _ in range(n)]
    if grouped:
        for g, name in enumerate(GROUPS):
            members = [
                db.session.get(User, i) for k, i in enumerate(ids) if k % 4 != 3 and k % 3 == g
            ]
            make.cohort(f"{name} {n}{tag}", *[m for m in members if m is not None])
    return ids


def quiz_data(
    user_ids: list[int],
    *,
    seed: int = 1,
    attempts_each: int = 3,
    now: datetime | None = None,
) -> None:
    """Attempts, answers and held misconceptions for these learners, at random but repeatable.
    Scores are the number of right answers, as the services keep them; some attempts are
    unfinished, some are reviews (no quiz), and a held misconception may be cleared."""
    rng = random.Random(seed)
    now = now or utcnow()
    quizzes = db.session.scalars(select(Quiz).order_by(Quiz.id)).all()
    questions = {
        q.id: db.session.scalars(
            select(Question)
            .where(Question.quiz_id == q.id, Question.status == QuestionStatus.PUBLISHED)
            .order_by(Question.position)
        ).all()
        for q in quizzes
    }
    misconceptions = db.session.scalars(select(Misconception.id).order_by(Misconception.id)).all()
    for user_id in user_ids:
        ability = rng.random()
        for _ in range(attempts_each):
            quiz = rng.choice(quizzes)
            mode = rng.choice([AttemptMode.TEST, AttemptMode.TEST, AttemptMode.PRACTICE])
            review = rng.random() < 0.15
            asked = list(questions[quiz.id])
            if review:
                asked = rng.sample([q for qs in questions.values() for q in qs], 3)
            finished = rng.random() < 0.85
            started = now - timedelta(days=rng.randint(0, 30), minutes=rng.randint(0, 600))
            attempt = Attempt(
                user_id=user_id,
                quiz_id=None if review else quiz.id,
                quiz_version=None if review else quiz.version,
                mode=AttemptMode.REVIEW if review else mode,
                layout=[{"question": q.id, "revision": q.revision, "order": []} for q in asked],
                started_at=started,
            )
            answered = asked if finished else asked[: rng.randint(0, len(asked) - 1)]
            attempt.answers = [
                Answer(
                    question_id=q.id,
                    revision=q.revision,
                    response={},
                    revealed=[],
                    is_correct=rng.random() < ability,
                    answered_at=started,
                )
                for q in answered
            ]
            if finished:
                attempt.submitted_at = started + timedelta(minutes=5)
                attempt.score = sum(a.is_correct for a in attempt.answers)
            db.session.add(attempt)
        for misconception_id in rng.sample(list(misconceptions), rng.randint(0, 6)):
            seen = now - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23))
            cleared = None
            if rng.random() < 0.4:
                cleared = seen + timedelta(days=rng.randint(1, 15))
            db.session.add(
                HeldMisconception(
                    user_id=user_id,
                    misconception_id=misconception_id,
                    first_seen_at=seen,
                    last_seen_at=seen,
                    times_seen=1,
                    last_explanation=f"Why {misconception_id} is wrong.",
                    cleared_at=cleared,
                    box=2 if cleared else 1,
                    due_at=seen + timedelta(days=rng.choice([1, 3, 40])),
                )
            )
    # The analytics' summaries, as the services keep them, for the rows written here.
    db.session.flush()
    tallies.rebuild()
    db.session.commit()


def non_learner_with_data(make: Factory) -> int:
    """A tutor who once took a quiz as a learner: counted in "No group"."""
    tutor = make.user(Role.TUTOR)
    quiz_data([tutor.id], seed=99, attempts_each=2)
    return tutor.id
