"""Item analysis for tutors: how hard each question is, whether it separates stronger from
weaker learners, how many learners hold each misconception now and a week ago, and the same
by learner group."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from portfolio.auth import services as accounts
from portfolio.core import charts
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

    # Facility counts every answer to the question, whatever the mode (a review answer
    # is as telling as a test's); discrimination needs a whole attempt's score, so it
    # is drawn from finished attempts at this quiz only.
    every: dict[str, list[bool]] = defaultdict(list)
    for question_id, correct in db.session.execute(
        select(Answer.question_id, Answer.is_correct).where(
            Answer.question_id.in_([q.id for q in quiz.questions])
        )
    ):
        every[question_id].append(correct)
    stats = []
    for question in quiz.questions:
        marks = every[question.id]
        high, low = facility(upper, question.id), facility(lower, question.id)
        enough = len(ranked) >= MIN_ATTEMPTS and high is not None and low is not None
        stats.append(
            QuestionStats(
                question=question,
                answered=len(marks),
                facility=sum(marks) / len(marks) if marks else None,
                discrimination=(high - low) if enough else None,  # type: ignore[operator]
            )
        )
    return stats


def _holders_at(rows: Sequence[HeldMisconception], when: datetime) -> int:
    return sum(
        r.first_seen_at <= when and (r.cleared_at is None or r.cleared_at > when) for r in rows
    )


def _learners_by_element() -> dict[str, set[int]]:
    """Who has finished any quiz of each element: the denominator of every share here."""
    learners: dict[str, set[int]] = defaultdict(set)
    for user_id, element_id in db.session.execute(
        select(Attempt.user_id, Quiz.element_id)
        .join(Quiz, Attempt.quiz_id == Quiz.id)
        .where(Attempt.submitted_at.is_not(None))
    ):
        learners[element_id].add(user_id)
    return learners


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
    learners_by_element = _learners_by_element()
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


NO_GROUP = "No group"


@dataclass(frozen=True)
class GroupColumn:
    cohort_id: int | None  # None: the learners in no group
    name: str


@dataclass(frozen=True)
class GroupCell:
    holders: int
    learners: int  # in the group, who have finished a quiz of the misconception's element

    @property
    def share(self) -> float | None:
        """None when nobody in the group has taken a quiz on the element: unknown, not 0%."""
        return self.holders / self.learners if self.learners else None

    @property
    def summary(self) -> str:
        if self.share is None:
            return "—"
        return f"{self.holders} of {self.learners} ({charts.percent(self.share)})"


@dataclass(frozen=True)
class HeatmapRow:
    misconception: Misconception
    cells: tuple[GroupCell, ...]  # in the order of CohortHeatmap.columns


@dataclass(frozen=True)
class CohortHeatmap:
    columns: tuple[GroupColumn, ...]
    rows: tuple[HeatmapRow, ...]

    def chart(self) -> charts.Heatmap:
        return charts.heatmap(
            [r.misconception.text for r in self.rows],
            [c.name for c in self.columns],
            [[cell.share for cell in r.cells] for r in self.rows],
            key="Share holding it now",
            no_data="nobody in the group has finished a quiz on its element",
        )


def cohort_heatmap(now: datetime | None = None) -> CohortHeatmap:
    """Misconceptions someone holds now, by learner group: in each group, holders now out of
    the group's learners who have finished a quiz of the misconception's element. A row per
    misconception held by anyone (one held by nobody is 0% or unknown everywhere, nothing to
    compare); a column per group, and "No group" while some learner is in none."""
    now = now or utcnow()
    group_of = accounts.learner_cohorts()
    held: dict[str, set[int]] = defaultdict(set)
    # Only these columns of held_misconception: the rest belong to the quiz engine.
    for user_id, misconception_id in db.session.execute(
        select(HeldMisconception.user_id, HeldMisconception.misconception_id).where(
            HeldMisconception.first_seen_at <= now,
            or_(HeldMisconception.cleared_at.is_(None), HeldMisconception.cleared_at > now),
        )
    ):
        held[misconception_id].add(user_id)
    learners_by_element = _learners_by_element()
    # Whoever has data but is not a learner now (a role taken away) counts as in no group.
    everyone = set(group_of).union(*learners_by_element.values(), *held.values())
    columns = [GroupColumn(c.id, c.name) for c in accounts.list_cohorts()]
    if any(group_of.get(user_id) is None for user_id in everyone):
        columns.append(GroupColumn(None, NO_GROUP))
    misconceptions = db.session.scalars(
        select(Misconception).where(Misconception.id.in_(sorted(held))).order_by(Misconception.id)
    )
    rows = []
    for m in misconceptions:
        # A holder has finished a quiz that tests the misconception; counting them keeps the
        # share at most 1 even when that quiz belongs to another element.
        learners = learners_by_element[m.element_id] | held[m.id]
        holders_in = Counter(group_of.get(u) for u in held[m.id])
        learners_in = Counter(group_of.get(u) for u in learners)
        cells = tuple(
            GroupCell(holders_in[col.cohort_id], learners_in[col.cohort_id]) for col in columns
        )
        rows.append(HeatmapRow(m, cells))
    return CohortHeatmap(tuple(columns), tuple(rows))
