"""The analytics counted in SQL give the numbers of their definitions: a hand-computed case at
two sizes, and, on a random centre at two sizes, the same figures as the Python definitions
they replaced (kept below as the reference), on SQLite and PostgreSQL alike.

Discrimination's groups are the 27% of finished attempts with the highest and the lowest
scores; attempts tied at a group's edge each count for the share of them the group needs
(the reference once broke such ties by attempt id; the figures are the same where no tie
straddles the edge)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import Integer, literal, or_, select

from portfolio.auth import services as accounts
from portfolio.auth.models import User
from portfolio.core.paging import PageArg
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import analytics, services
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception, Quiz
from tests.factories import Factory
from tests.quizzes import centre
from tests.quizzes.support import right as answer
from tests.quizzes.support import wrong

QUIZ = "pts-a-rights"

# --- The definitions, as they were computed in Python before (the reference) --------------------


def reference_question_stats(quiz: Quiz) -> dict[str, tuple[int, float | None, float | None]]:
    attempts = sorted(
        db.session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None))
        ).all(),
        key=lambda a: a.id,
    )
    answers: dict[int, dict[str, bool]] = defaultdict(dict)
    for a in db.session.scalars(
        select(Answer).where(Answer.attempt_id.in_([a.id for a in attempts]))
    ):
        answers[a.attempt_id][a.question_id] = a.is_correct
    ranked = sorted(attempts, key=lambda a: a.score or 0)
    size = max(1, round(Fraction(len(ranked) * 27, 100)))  # 27%, exactly, half to even
    tied: dict[int, list[Attempt]] = defaultdict(list)
    for a in ranked:
        tied[a.score or 0].append(a)

    def weights(scores: Sequence[int]) -> dict[int, Fraction]:
        """Each attempt's share of a group of `size` taken from the first of `scores`:
        whole scores while they fit, then that share of each attempt tied at the edge."""
        out: dict[int, Fraction] = {}
        left = size
        for score in scores:
            taken = min(left, len(tied[score]))
            for a in tied[score]:
                out[a.id] = Fraction(taken, len(tied[score]))
            left -= taken
        return out

    lower, upper = weights(sorted(tied)), weights(sorted(tied, reverse=True))

    def facility(group: dict[int, Fraction], question_id: str) -> float | None:
        marks = [
            (w, answers[a][question_id])
            for a, w in group.items()
            if w and question_id in answers[a]
        ]
        total = sum(w for w, _ in marks)
        return float(sum(w for w, right in marks if right) / total) if total else None

    every: dict[str, list[bool]] = defaultdict(list)
    for question_id, correct in db.session.execute(
        select(Answer.question_id, Answer.is_correct).where(
            Answer.question_id.in_([q.id for q in quiz.questions])
        )
    ):
        every[question_id].append(correct)
    out = {}
    for question in quiz.questions:
        marks = every[question.id]
        high, low = facility(upper, question.id), facility(lower, question.id)
        enough = len(ranked) >= analytics.MIN_ATTEMPTS and high is not None and low is not None
        out[question.id] = (
            len(marks),
            sum(marks) / len(marks) if marks else None,
            (high - low) if enough else None,  # type: ignore[operator]
        )
    return out


def _learners_by_element() -> dict[str, set[int]]:
    learners: dict[str, set[int]] = defaultdict(set)
    for user_id, element_id in db.session.execute(
        select(Attempt.user_id, Quiz.element_id)
        .join(Quiz, Attempt.quiz_id == Quiz.id)
        .where(Attempt.submitted_at.is_not(None))
    ):
        learners[element_id].add(user_id)
    return learners


def _holders_at(rows: Sequence[HeldMisconception], when: datetime) -> int:
    return sum(
        r.first_seen_at <= when and (r.cleared_at is None or r.cleared_at > when) for r in rows
    )


def reference_misconception_stats(now: datetime) -> list[tuple[str, int, int, int]]:
    week_ago = now - timedelta(days=7)
    rows_by: dict[str, list[HeldMisconception]] = defaultdict(list)
    for row in db.session.scalars(
        select(HeldMisconception).where(
            or_(HeldMisconception.cleared_at.is_(None), HeldMisconception.cleared_at > week_ago)
        )
    ):
        rows_by[row.misconception_id].append(row)
    learners = _learners_by_element()
    stats = [
        analytics.MisconceptionStats(
            misconception=m,
            holders_now=_holders_at(rows_by[m.id], now),
            holders_week_ago=_holders_at(rows_by[m.id], week_ago),
            learners=len(learners[m.element_id]),
        )
        for m in db.session.scalars(select(Misconception).order_by(Misconception.id))
    ]
    stats.sort(key=lambda s: (-s.share_now, s.misconception.id))
    return [(s.misconception.id, s.holders_now, s.holders_week_ago, s.learners) for s in stats]


def reference_heatmap(now: datetime) -> tuple[list[str], dict[str, list[str]]]:
    group_of = accounts.learner_cohorts()
    held: dict[str, set[int]] = defaultdict(set)
    for user_id, misconception_id in db.session.execute(
        select(HeldMisconception.user_id, HeldMisconception.misconception_id).where(
            HeldMisconception.first_seen_at <= now,
            or_(HeldMisconception.cleared_at.is_(None), HeldMisconception.cleared_at > now),
        )
    ):
        held[misconception_id].add(user_id)
    learners_by_element = _learners_by_element()
    everyone = set(group_of).union(*learners_by_element.values(), *held.values())
    columns: list[tuple[int | None, str]] = [(c.id, c.name) for c in accounts.list_cohorts()]
    if any(group_of.get(u) is None for u in everyone):
        columns.append((None, analytics.NO_GROUP))
    rows = {}
    for m in db.session.scalars(
        select(Misconception).where(Misconception.id.in_(sorted(held))).order_by(Misconception.id)
    ):
        learners = learners_by_element[m.element_id] | held[m.id]
        holders_in = Counter(group_of.get(u) for u in held[m.id])
        learners_in = Counter(group_of.get(u) for u in learners)
        rows[m.id] = [
            analytics.GroupCell(holders_in[c], learners_in[c]).summary for c, _ in columns
        ]
    return [name for _, name in columns], rows


def _heatmap(heatmap: analytics.CohortHeatmap) -> tuple[list[str], dict[str, list[str]]]:
    return (
        [c.name for c in heatmap.columns],
        {r.misconception.id: [c.summary for c in r.cells] for r in heatmap.rows},
    )


# --- The same numbers on a random centre, at two sizes ------------------------------------------


@pytest.mark.parametrize("size", [6, 30])
def test_the_sql_gives_the_definitions_numbers(ctx: None, make: Factory, size: int) -> None:
    now = utcnow()
    centre.quiz_data(centre.learners(make, size), seed=size, now=now)
    centre.non_learner_with_data(make)
    for quiz in db.session.scalars(select(Quiz)).all():
        expected = reference_question_stats(quiz)
        got = {
            s.question.id: (s.answered, s.facility, s.discrimination)
            for s in analytics.question_stats(quiz)
        }
        assert got.keys() == expected.keys()
        for question_id, (answered, facility, discrimination) in expected.items():
            assert got[question_id][0] == answered
            assert got[question_id][1] == pytest.approx(facility)
            assert got[question_id][2] == pytest.approx(discrimination)
    for when in (now, now + timedelta(days=3), now + timedelta(days=9)):
        got_stats = [
            (s.misconception.id, s.holders_now, s.holders_week_ago, s.learners)
            for s in analytics.misconception_stats(now=when)
        ]
        assert got_stats == reference_misconception_stats(when)
        assert _heatmap(analytics.cohort_heatmap(now=when)) == reference_heatmap(when)


def test_pages_of_the_tables_add_up_to_the_whole(ctx: None, make: Factory) -> None:
    now = utcnow()
    centre.quiz_data(centre.learners(make, 12), seed=4, now=now)
    whole = analytics.misconception_stats(now=now)
    first = analytics.misconception_page(PageArg(1), now=now)
    assert first.total == len(whole)
    assert [s.misconception.id for s in first.items] == [
        s.misconception.id for s in whole[: analytics.MISCONCEPTIONS_PAGE]
    ]
    heatmap = analytics.cohort_heatmap(now=now)
    paged = analytics.cohort_heatmap(now=now, asked=PageArg(1))
    assert paged.page is not None and paged.page.total == len(heatmap.rows)
    assert _heatmap(paged)[1] == {
        r.misconception.id: [c.summary for c in r.cells]
        for r in heatmap.rows[: analytics.HEATMAP_PAGE]
    }
    questions = analytics.question_page(analytics.Filters(quiz_id=QUIZ), PageArg(1))
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    assert [(s.question.id, s.facility, s.discrimination) for s in questions.items] == [
        (s.question.id, s.facility, s.discrimination) for s in analytics.question_stats(quiz)
    ]


def test_groups_narrow_the_heatmap_to_their_columns(ctx: None, make: Factory) -> None:
    now = utcnow()
    centre.quiz_data(centre.learners(make, 12), seed=5, now=now)
    every = analytics.cohort_heatmap(now=now)
    day = every.columns[0]
    narrowed = analytics.cohort_heatmap(now=now, groups={day.cohort_id, None})
    assert [c.name for c in narrowed.columns] == [day.name, analytics.NO_GROUP]
    assert [r.cells for r in narrowed.rows] == [(r.cells[0], r.cells[-1]) for r in every.rows]
    unknown = analytics.cohort_heatmap(now=now, groups={10**12})
    assert unknown.ignored_groups and unknown.columns == every.columns


# --- A case worked by hand, at two sizes --------------------------------------------------------


def _take(learner: User, right: int) -> None:
    """Answer the first `right` questions correctly and the rest wrongly."""
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    chosen = {
        question.id: answer(question.spec) if n < right else wrong(question.spec)
        for n, question in enumerate(quiz.questions)
    }
    services.submit_attempt(services.start_attempt(learner, quiz), chosen)


@pytest.mark.parametrize(
    ("copies", "group", "first", "last"),
    [
        # 8 attempts: groups of round(2.16) = 2. Lower: scores 0, 1; upper: 6, 6.
        # Question 1 (right from score 1): upper 2/2, lower 1/2. Question 6 (right only at
        # score 6): upper 2/2, lower 0/2.
        (1, 2, 1 - 1 / 2, 1.0),
        # 32 attempts: groups of round(8.64) = 9. Lower: four 0s, four 1s and the first 2;
        # upper: eight 6s and the last 5. Question 1: upper 9/9, lower 5/9. Question 6:
        # upper 8/9, lower 0/9.
        (4, 9, 1 - 5 / 9, 8 / 9),
    ],
)
def test_a_case_worked_by_hand(
    ctx: None, make: Factory, copies: int, group: int, first: float, last: float
) -> None:
    for _ in range(copies):
        for right in [0, 1, 2, 3, 4, 5, 6, 6]:
            learner = db.session.get(User, make.learner().id)
            assert learner is not None
            _take(learner, right)
    assert analytics.group_size(8 * copies) == group
    quiz = services.get_quiz(QUIZ)
    assert quiz is not None
    stats = {s.question.position: s for s in analytics.question_stats(quiz)}
    assert stats[0].answered == 8 * copies
    assert stats[0].facility == pytest.approx(7 / 8)  # everyone but the zeros
    assert stats[5].facility == pytest.approx(2 / 8)  # the two sixes
    assert stats[0].discrimination == pytest.approx(first)
    assert stats[5].discrimination == pytest.approx(last)
    # Every learner got the last questions wrong: the misconception they reveal is held by
    # all who answered it wrongly, out of all who took the quiz.
    held = Counter(db.session.scalars(select(HeldMisconception.misconception_id)))
    by_id = {s.misconception.id: s for s in analytics.misconception_stats()}
    for misconception_id, holders in held.items():
        assert by_id[misconception_id].holders_now == holders
        assert by_id[misconception_id].learners == 8 * copies
        assert by_id[misconception_id].holders_week_ago == 0


def test_group_size_is_27_percent_half_to_even_in_python_and_in_sql(ctx: None) -> None:
    for finished in range(1, 5000):
        assert analytics.group_size(finished) == max(1, round(Fraction(finished * 27, 100)))
    # The same in the database, around every half: 50, 150, 250 ... attempts.
    tried = [1, 2, 3, 4, 5, 8, 32, 50, 51, 100, 150, 250, 1750, 3350, 10**6 + 50]
    got = db.session.execute(
        select(*(analytics.group_size_sql(literal(n, Integer)) for n in tried))
    ).one()
    assert list(got) == [analytics.group_size(n) for n in tried]
