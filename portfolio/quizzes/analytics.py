"""Item analysis for tutors: how hard each question is, whether it separates stronger from
weaker learners, and how many learners hold each misconception now and a week ago."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception, Question, Quiz

# Kelley's 27%: the usual size of the upper and lower groups in item analysis.
GROUP_SHARE = 0.27
# Fewer attempts than this and discrimination says nothing; the page shows a dash.
MIN_ATTEMPTS = 5


@dataclass(frozen=True)
class QuestionStats:
    question: Question
    answered: int
    facility: float | None  # share correct, 0..1
    discrimination: float | None  # upper-group facility minus lower-group facility, -1..1


@dataclass(frozen=True)
class MisconceptionStats:
    misconception: Misconception
    holders_now: int
    holders_week_ago: int
    learners: int  # learners who have finished any quiz of the misconception's element

    @property
    def share_now(self) -> float:
        return self.holders_now / self.learners if self.learners else 0.0

    @property
    def trend(self) -> str:
        if self.holders_now > self.holders_week_ago:
            return "rising"
        return "falling" if self.holders_now < self.holders_week_ago else "steady"


def question_stats(quiz: Quiz) -> list[QuestionStats]:
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None))
    ).all()
    answers: dict[int, dict[str, bool]] = defaultdict(dict)
    for answer in db.session.scalars(
        select(Answer).where(Answer.attempt_id.in_([a.id for a in attempts]))
    ):
        answers[answer.attempt_id][answer.question_id] = answer.is_correct
    ranked = sorted(attempts, key=lambda a: a.score or 0)
    size = max(1, round(len(ranked) * GROUP_SHARE))
    lower, upper = ranked[:size], ranked[-size:]

    def facility(group: Sequence[Attempt], question_id: str) -> float | None:
        marks = [answers[a.id][question_id] for a in group if question_id in answers[a.id]]
        return sum(marks) / len(marks) if marks else None

    stats = []
    for question in quiz.questions:
        overall = facility(ranked, question.id)
        high, low = facility(upper, question.id), facility(lower, question.id)
        enough = len(ranked) >= MIN_ATTEMPTS and high is not None and low is not None
        stats.append(
            QuestionStats(
                question=question,
                answered=sum(question.id in answers[a.id] for a in ranked),
                facility=overall,
                discrimination=(high - low) if enough else None,  # type: ignore[operator]
            )
        )
    return stats


def _holders_at(rows: Sequence[HeldMisconception], when: datetime) -> int:
    return sum(
        r.first_seen_at <= when and (r.cleared_at is None or r.cleared_at > when) for r in rows
    )


def misconception_stats(now: datetime | None = None) -> list[MisconceptionStats]:
    now = now or utcnow()
    week_ago = now - timedelta(days=7)
    rows_by: dict[str, list[HeldMisconception]] = defaultdict(list)
    for row in db.session.scalars(
        select(HeldMisconception).where(
            or_(HeldMisconception.cleared_at.is_(None), HeldMisconception.cleared_at > week_ago)
        )
    ):
        rows_by[row.misconception_id].append(row)
    learners_by_element: dict[str, set[int]] = defaultdict(set)
    for user_id, element_id in db.session.execute(
        select(Attempt.user_id, Quiz.element_id)
        .join(Quiz, Attempt.quiz_id == Quiz.id)
        .where(Attempt.submitted_at.is_not(None))
    ):
        learners_by_element[element_id].add(user_id)
    stats = [
        MisconceptionStats(
            misconception=m,
            holders_now=_holders_at(rows_by[m.id], now),
            holders_week_ago=_holders_at(rows_by[m.id], week_ago),
            learners=len(learners_by_element[m.element_id]),
        )
        for m in db.session.scalars(select(Misconception).order_by(Misconception.id))
    ]
    return sorted(stats, key=lambda s: (-s.share_now, s.misconception.id))
