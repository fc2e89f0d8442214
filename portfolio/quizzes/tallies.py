"""The summaries behind the tutors' analytics (models.QuestionTally, QuizScoreTally,
QuestionScoreTally, ElementLearner), kept up to date in the transaction that stores an answer
or finishes an attempt, so the analytics page reads a few rows per question and element rather
than every answer and attempt of the centre; and how many hold each misconception
(MisconceptionTally), kept as misconceptions are shown and cleared.

Each change is an upsert (INSERT ... ON CONFLICT, on SQLite and PostgreSQL alike) that adds to
the counts, so two learners finishing the same quiz at once both count. Rows are touched in one
order in every transaction (misconceptions by id, question tallies by question, the quiz's
score, question-by-score tallies by question, then the element), so two such transactions
wait for each other instead of deadlocking. rebuild() recomputes every summary from the
rows it counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, delete, func, insert, literal, select

from portfolio.db import UTCDateTime
from portfolio.extensions import db
from portfolio.quizzes import group_tally
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    ElementLearner,
    HeldMisconception,
    MisconceptionTally,
    QuestionScoreTally,
    QuestionTally,
    Quiz,
    QuizScoreTally,
)
from portfolio.quizzes.upserts import adding, upsert


def count_holding(changes: Mapping[str, int]) -> None:
    """Add to the misconceptions' open holders (+1 shown anew or again after clearing, -1
    cleared): one statement, none when nothing changed."""
    rows = [
        {"misconception_id": key, "holding": change}
        for key, change in sorted(changes.items())
        if change
    ]
    if rows:
        table = MisconceptionTally.__table__
        db.session.execute(adding(table, ["misconception_id"], ["holding"]), rows)  # type: ignore[arg-type]


def count_answers(answers: Sequence[Answer]) -> None:
    """Add answers being stored to their questions' tallies (facility): one statement."""
    if not answers:
        return
    rows = sorted(
        (
            {"question_id": a.question_id, "answered": 1, "correct": int(a.is_correct)}
            for a in answers
        ),
        key=lambda r: str(r["question_id"]),
    )
    table = QuestionTally.__table__
    db.session.execute(adding(table, ["question_id"], ["answered", "correct"]), rows)  # type: ignore[arg-type]


def count_finished(attempt: Attempt, now: datetime) -> None:
    """An attempt at a quiz has just been finished with its score: add it to the quiz's
    sittings at that score, its answers to their questions' tallies at that score, and its
    learner to those who have finished a quiz of the element. Three statements; none for a
    review, which has no quiz (and so no score comparable with anyone's)."""
    if attempt.quiz_id is None:
        return
    score = attempt.score or 0
    scores = QuizScoreTally.__table__
    db.session.execute(
        adding(scores, ["quiz_id", "score"], ["sittings"]),  # type: ignore[arg-type]
        [{"quiz_id": attempt.quiz_id, "score": score, "sittings": 1}],
    )
    rows = sorted(
        (
            {
                "question_id": a.question_id,
                "score": score,
                "answered": 1,
                "correct": int(a.is_correct),
            }
            for a in attempt.answers
        ),
        key=lambda r: str(r["question_id"]),
    )
    if rows:
        by_score = QuestionScoreTally.__table__
        db.session.execute(
            adding(by_score, ["question_id", "score"], ["answered", "correct"]),  # type: ignore[arg-type]
            rows,
        )
    first = select(
        Quiz.element_id,
        literal(attempt.user_id),
        literal(now, UTCDateTime()),
    ).where(Quiz.id == attempt.quiz_id)
    db.session.execute(
        upsert(ElementLearner.__table__)  # type: ignore[arg-type]
        .from_select(["element_id", "user_id", "first_finished_at"], first)
        .on_conflict_do_nothing(index_elements=["element_id", "user_id"])
    )


# --- Recomputing them from the rows they count ----------------------------------------------------


def _finished_at_quiz() -> Any:
    return and_(Attempt.quiz_id.is_not(None), Attempt.submitted_at.is_not(None))


def summary_queries() -> list[tuple[Table, list[str], Any]]:
    """(table, columns, SELECT of its rows from the raw rows) for every summary: what the
    summaries must hold, in set-based SQL."""
    right = func.sum(case((Answer.is_correct, 1), else_=0))
    score = func.coalesce(Attempt.score, 0)
    return [
        (
            QuestionTally.__table__,  # type: ignore[list-item]
            ["question_id", "answered", "correct"],
            select(Answer.question_id, func.count(), right).group_by(Answer.question_id),
        ),
        (
            QuizScoreTally.__table__,  # type: ignore[list-item]
            ["quiz_id", "score", "sittings"],
            select(Attempt.quiz_id, score, func.count())
            .where(_finished_at_quiz())
            .group_by(Attempt.quiz_id, score),
        ),
        (
            QuestionScoreTally.__table__,  # type: ignore[list-item]
            ["question_id", "score", "answered", "correct"],
            select(Answer.question_id, score, func.count(), right)
            .join(Attempt, Answer.attempt_id == Attempt.id)
            .where(_finished_at_quiz())
            .group_by(Answer.question_id, score),
        ),
        (
            ElementLearner.__table__,  # type: ignore[list-item]
            ["element_id", "user_id", "first_finished_at"],
            select(Quiz.element_id, Attempt.user_id, func.min(Attempt.submitted_at))
            .join(Quiz, Attempt.quiz_id == Quiz.id)
            .where(Attempt.submitted_at.is_not(None))
            .group_by(Quiz.element_id, Attempt.user_id),
        ),
        (
            MisconceptionTally.__table__,  # type: ignore[list-item]
            ["misconception_id", "holding"],
            select(HeldMisconception.misconception_id, func.count())
            .where(HeldMisconception.cleared_at.is_(None))
            .group_by(HeldMisconception.misconception_id),
        ),
    ]


def rebuild() -> None:
    """Recompute every summary from the answers, attempts and held misconceptions, in
    set-based SQL (two statements a table), then the heatmap's counts by group
    (group_tally): for rows written straight to the tables, as the benchmark's generator and
    tests do, and to repair. Does not commit."""
    for table, columns, query in summary_queries():
        db.session.execute(delete(table))
        db.session.execute(insert(table).from_select(columns, query))
    # The heatmap's counts by group read element_learner as just counted.
    group_tally.rebuild()
