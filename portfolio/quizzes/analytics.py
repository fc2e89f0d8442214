"""Item analysis for tutors: how hard each question is, whether it separates stronger from
weaker learners, how many learners hold each misconception now and a week ago, and the same
by learner group.

Every figure is counted by the database (GROUP BY, CASE sums, window functions), in a fixed
number of statements whatever the number of learners, attempts and answers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from typing import cast as cast_type

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union,
)
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.core import charts
from portfolio.core.paging import PageArg, Paged, paginate
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes.models import Answer, Attempt, HeldMisconception, Question, Quiz

# Kelley's 27%: the usual size of the upper and lower groups in item analysis.
GROUP_PERCENT = 27
GROUP_SHARE = GROUP_PERCENT / 100
# Fewer attempts than this and discrimination says nothing; the page shows a dash.
MIN_ATTEMPTS = 5
# Rows a page of each table; the heatmap draws a cell per group for each of its rows.
# Sized so the whole page stays under about 200 KB: a misconception's row carries a form
# listing the pages to send, and each heatmap cell is drawn and titled in SVG.
QUESTIONS_PAGE = 50
MISCONCEPTIONS_PAGE = 25
HEATMAP_PAGE = 10
# Groups side by side in the heatmap; with more, the tutor chooses which to compare.
MAX_COLUMNS = 12


def group_size(finished: int) -> int:
    """How many attempts the upper and the lower group each hold: 27% of the finished
    attempts, rounded half to even, at least one. group_size_sql is the same in SQL."""
    whole, rest = divmod(finished * GROUP_PERCENT, 100)
    if rest > 50 or (rest == 50 and whole % 2 == 1):
        whole += 1
    return max(1, whole)


def group_size_sql(finished: ColumnElement[Any]) -> ColumnElement[int]:
    """group_size in integer arithmetic, the same on SQLite and PostgreSQL."""
    scaled = finished * GROUP_PERCENT
    # Integer division on both databases; the remainders without "%", which a query's text
    # would have to escape for the PostgreSQL driver.
    whole = scaled // 100
    rest, odd = scaled - whole * 100, whole - (whole // 2) * 2
    rounded = case((or_(rest > 50, and_(rest == 50, odd == 1)), whole + 1), else_=whole)
    return case((rounded < 1, 1), else_=rounded)


@dataclass(frozen=True)
class Filters:
    """What the tutor narrowed the page to: an element, a quiz (its questions only)."""

    element_id: str | None = None
    quiz_id: str | None = None


# --- Questions: facility and discrimination ------------------------------------------------------


@dataclass(frozen=True)
class QuestionStats:
    question: Question
    answered: int
    facility: float | None  # share correct, 0..1
    discrimination: float | None  # upper-group facility minus lower-group facility, -1..1


def facility_query(question_ids: Collection[str]) -> Select[Any]:
    """(question, answers, right answers) for every answer to each question: one GROUP BY
    read from the answer index alone."""
    right = func.sum(case((Answer.is_correct, 1), else_=0))
    query = (
        select(Answer.question_id, func.count().label("answered"), right.label("right"))
        .where(Answer.question_id.in_(sorted(question_ids)))
        .group_by(Answer.question_id)
    )
    return cast_type("Select[Any]", query)


def groups_query(question_ids: Collection[str], quiz_ids: Collection[str]) -> Select[Any]:
    """(question, finished attempts at its quiz, then answers and right answers in the upper
    and in the lower 27% of those attempts by score). The attempts are ranked in the database
    (ROW_NUMBER and COUNT over each quiz's finished attempts), by score and then by when they
    were made, so ties split the same way every time."""
    ranked = (
        select(
            Attempt.id,
            func.row_number()
            .over(
                partition_by=Attempt.quiz_id,
                order_by=(func.coalesce(Attempt.score, 0), Attempt.id),
            )
            .label("rank"),
            func.count().over(partition_by=Attempt.quiz_id).label("finished"),
        )
        .where(Attempt.quiz_id.in_(sorted(quiz_ids)), Attempt.submitted_at.is_not(None))
        .subquery("ranked")
    )
    size = group_size_sql(ranked.c.finished)
    lower = ranked.c.rank <= size
    upper = ranked.c.rank > ranked.c.finished - size

    def count(*conditions: ColumnElement[bool] | InstrumentedAttribute[bool]) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    return (
        select(
            Answer.question_id,
            func.max(ranked.c.finished).label("finished"),
            count(upper).label("upper"),
            count(upper, Answer.is_correct).label("upper_right"),
            count(lower).label("lower"),
            count(lower, Answer.is_correct).label("lower_right"),
        )
        .join(ranked, Answer.attempt_id == ranked.c.id)
        .where(Answer.question_id.in_(sorted(question_ids)), or_(upper, lower))
        .group_by(Answer.question_id)
    )


def _stats_for(questions: Sequence[Question]) -> list[QuestionStats]:
    """Facility and discrimination of `questions`, in two statements.

    Facility counts every answer to the question, whatever the mode (a review answer is as
    telling as a test's); discrimination needs a whole attempt's score, so it is drawn from
    finished attempts at the question's quiz only."""
    # Asked even for no questions, so the statements do not depend on the data.
    ids = {q.id for q in questions}
    facility = {
        row.question_id: (int(row.answered), int(row.right or 0))
        for row in db.session.execute(facility_query(ids))
    }
    groups = {
        row.question_id: row
        for row in db.session.execute(groups_query(ids, {q.quiz_id for q in questions}))
    }
    stats = []
    for question in questions:
        answered, correct = facility.get(question.id, (0, 0))
        discrimination = None
        row = groups.get(question.id)
        if row is not None and row.finished >= MIN_ATTEMPTS and row.upper and row.lower:
            discrimination = row.upper_right / row.upper - row.lower_right / row.lower
        stats.append(
            QuestionStats(
                question=question,
                answered=answered,
                facility=correct / answered if answered else None,
                discrimination=discrimination,
            )
        )
    return stats


def question_stats(quiz: Quiz) -> list[QuestionStats]:
    """Every question of one quiz, in its order."""
    return _stats_for(quiz.questions)


def _questions(filters: Filters) -> Select[Question]:
    query = (
        select(Question)
        .join(Quiz, Question.quiz_id == Quiz.id)
        .options(joinedload(Question.quiz))
        .order_by(Quiz.element_id, Quiz.title, Quiz.id, Question.position, Question.id)
    )
    if filters.element_id:
        query = query.where(Quiz.element_id == filters.element_id)
    if filters.quiz_id:
        query = query.where(Question.quiz_id == filters.quiz_id)
    return query


def question_page(filters: Filters, asked: PageArg) -> Paged[QuestionStats]:
    """A page of questions (by element, quiz and position) with their figures: four
    statements whatever the size of the bank or of the centre. The page shows one quiz at a
    time (filters.quiz_id), so the work is that quiz's attempts, not the centre's."""
    page = paginate(_questions(filters), asked, QUESTIONS_PAGE)
    return Paged(_stats_for(page.items), page.total, page.number, page.size, page.message)


# --- Misconceptions: holders now and a week ago ------------------------------------------------


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


def _held_at(when: datetime) -> ColumnElement[bool]:
    """Held at `when`: shown by then, and not cleared by then."""
    return and_(
        HeldMisconception.first_seen_at <= when,
        or_(HeldMisconception.cleared_at.is_(None), HeldMisconception.cleared_at > when),
    )


def _finished() -> Any:
    """(element, learner) for each learner who has finished any quiz of the element: the
    denominator of every share here."""
    return (
        select(Quiz.element_id.label("element_id"), Attempt.user_id.label("user_id"))
        .join(Quiz, Attempt.quiz_id == Quiz.id)
        .where(Attempt.submitted_at.is_not(None))
        .distinct()
        .subquery("finished")
    )


def misconception_query(now: datetime, element_id: str | None) -> Select[Any]:
    week_ago = now - timedelta(days=7)
    held = HeldMisconception
    holders = (
        select(
            held.misconception_id,
            func.sum(case((_held_at(now), 1), else_=0)).label("now"),
            func.sum(case((_held_at(week_ago), 1), else_=0)).label("week_ago"),
        )
        .where(or_(held.cleared_at.is_(None), held.cleared_at > week_ago))
        .group_by(held.misconception_id)
        .subquery("holders")
    )
    finished = _finished()
    learners = (
        select(finished.c.element_id, func.count().label("learners"))
        .group_by(finished.c.element_id)
        .subquery("learners")
    )
    now_n = func.coalesce(holders.c.now, 0)
    week_n = func.coalesce(holders.c.week_ago, 0)
    learners_n = func.coalesce(learners.c.learners, 0)
    share = case((learners_n > 0, cast(now_n, Float) / learners_n), else_=0.0)
    query = (
        select(
            Misconception,
            now_n.label("holders_now"),
            week_n.label("holders_week_ago"),
            learners_n.label("learners"),
        )
        .outerjoin(holders, holders.c.misconception_id == Misconception.id)
        .outerjoin(learners, learners.c.element_id == Misconception.element_id)
        .order_by(share.desc(), Misconception.id)
    )
    if element_id:
        query = query.where(Misconception.element_id == element_id)
    return cast_type("Select[Any]", query)


def _misconception_row(row: Any) -> MisconceptionStats:
    return MisconceptionStats(
        misconception=row[0],
        holders_now=int(row.holders_now),
        holders_week_ago=int(row.holders_week_ago),
        learners=int(row.learners),
    )


def misconception_stats(
    now: datetime | None = None, element_id: str | None = None
) -> list[MisconceptionStats]:
    """Every misconception (of one element, if given), the most widely held first: one
    statement."""
    query = misconception_query(now or utcnow(), element_id)
    return [_misconception_row(r) for r in db.session.execute(query)]


def misconception_page(
    asked: PageArg, now: datetime | None = None, element_id: str | None = None
) -> Paged[MisconceptionStats]:
    """A page of misconception_stats: two statements (the total is the misconceptions
    counted, not the figures computed twice)."""
    counted = select(func.count()).select_from(Misconception)
    if element_id:
        counted = counted.where(Misconception.element_id == element_id)
    page = paginate(
        misconception_query(now or utcnow(), element_id),
        asked,
        MISCONCEPTIONS_PAGE,
        scalars=False,
        total=db.session.scalar(counted) or 0,
    )
    return Paged(
        [_misconception_row(r) for r in page.items],
        page.total,
        page.number,
        page.size,
        page.message,
    )


# --- The heatmap of misconceptions by learner group --------------------------------------------

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
    # Every group there is (the columns are these, or those the tutor chose).
    groups: tuple[GroupColumn, ...] = ()
    page: Paged[Misconception] | None = None
    # Groups were asked for but none of them exists: every group is shown instead.
    ignored_groups: bool = False
    # More groups than MAX_COLUMNS were to be shown: only the first of them are.
    more_groups: bool = False

    def chart(self) -> charts.Heatmap:
        return charts.heatmap(
            [r.misconception.text for r in self.rows],
            [c.name for c in self.columns],
            [[cell.share for cell in r.cells] for r in self.rows],
            key="Share holding it now",
            no_data="nobody in the group has finished a quiz on its element",
        )


def _learner_group() -> tuple[Any, ColumnElement[Any]]:
    """The learners (users with the learner role), and each user's group: their group if
    they are a learner now, else none (a role taken away counts as in no group)."""
    learners = (
        select(UserRole.user_id).where(UserRole.role == Role.LEARNER).subquery("learner_role")
    )
    return learners, case((learners.c.user_id.is_not(None), User.cohort_id), else_=null())


def _columns(now: datetime) -> list[GroupColumn]:
    """Every group by name, then "No group" while anyone the heatmap counts (a learner, or
    whoever has finished a quiz or holds a misconception) is in none: one statement."""
    grouped = (
        select(UserRole.user_id)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.LEARNER, User.cohort_id.is_not(None))
    )
    # Looked for among the few people not in a group (staff, learners in none), each by
    # their own attempts and held misconceptions, rather than by reading every attempt.
    is_learner = exists(
        select(UserRole.user_id).where(UserRole.user_id == User.id, UserRole.role == Role.LEARNER)
    )
    ungrouped = exists(
        select(User.id).where(
            User.id.not_in(grouped),
            or_(
                is_learner,
                exists(
                    select(Attempt.id).where(
                        Attempt.user_id == User.id,
                        Attempt.quiz_id.is_not(None),
                        Attempt.submitted_at.is_not(None),
                    )
                ),
                exists(
                    select(HeldMisconception.user_id).where(
                        HeldMisconception.user_id == User.id, _held_at(now)
                    )
                ),
            ),
        )
    )
    named = select(
        Cohort.id.label("cohort_id"), Cohort.name.label("name"), literal(0).label("last")
    )
    none = select(
        cast(null(), Cohort.id.type).label("cohort_id"),
        literal(NO_GROUP).label("name"),
        literal(1).label("last"),
    ).where(ungrouped)
    both = named.union_all(none).subquery("columns")
    rows = db.session.execute(
        select(both.c.cohort_id, both.c.name).order_by(both.c.last, both.c.name, both.c.cohort_id)
    )
    return [GroupColumn(cohort_id, name) for cohort_id, name in rows]


def held_now_query(now: datetime, element_id: str | None) -> Select[Misconception]:
    held_ids = select(HeldMisconception.misconception_id).where(_held_at(now))
    query = select(Misconception).where(Misconception.id.in_(held_ids)).order_by(Misconception.id)
    if element_id:
        query = query.where(Misconception.element_id == element_id)
    return query


def cells_query(now: datetime, misconception_ids: Collection[str]) -> Select[Any]:
    """(misconception, group, learners, holders now) for the rows shown.

    A misconception's learners in a group are those in it who have finished a quiz of its
    element, and its holders too (a holder has finished a quiz that tests it; counting them
    keeps the share at most 1 even when that quiz belongs to another element)."""
    ids = sorted(misconception_ids)
    finished = _finished()
    held_now = (
        select(HeldMisconception.user_id, HeldMisconception.misconception_id)
        .where(_held_at(now), HeldMisconception.misconception_id.in_(ids))
        .subquery("held_now")
    )
    population = union(
        select(Misconception.id.label("misconception_id"), finished.c.user_id)
        .join(finished, finished.c.element_id == Misconception.element_id)
        .where(Misconception.id.in_(ids)),
        select(held_now.c.misconception_id, held_now.c.user_id),
    ).subquery("population")
    learners, group = _learner_group()
    return (
        select(
            population.c.misconception_id,
            group.label("cohort_id"),
            func.count().label("learners"),
            func.count(held_now.c.user_id).label("holders"),
        )
        .select_from(population)
        .outerjoin(
            held_now,
            and_(
                held_now.c.user_id == population.c.user_id,
                held_now.c.misconception_id == population.c.misconception_id,
            ),
        )
        .outerjoin(User, User.id == population.c.user_id)
        .outerjoin(learners, learners.c.user_id == population.c.user_id)
        .group_by(population.c.misconception_id, group)
    )


def _cells(now: datetime, misconception_ids: Sequence[str]) -> dict[tuple[str, int | None], Any]:
    """cells_query by (misconception, group): one statement, even for no rows."""
    rows = db.session.execute(cells_query(now, misconception_ids))
    return {(r.misconception_id, r.cohort_id): r for r in rows}


def cohort_heatmap(
    now: datetime | None = None,
    *,
    element_id: str | None = None,
    groups: Collection[int | None] | None = None,
    asked: PageArg | None = None,
) -> CohortHeatmap:
    """Misconceptions someone holds now, by learner group: in each group, holders now out of
    the group's learners who have finished a quiz of the misconception's element. A row per
    misconception held by anyone (one held by nobody is 0% or unknown everywhere, nothing to
    compare), of one element if given, a page of them if `asked`; a column per group (or per
    group in `groups`, None standing for "No group"; at most MAX_COLUMNS), and "No group"
    while some learner is in none. Three statements, four with a page."""
    now = now or utcnow()
    every = _columns(now)
    columns = [c for c in every if groups is None or c.cohort_id in groups]
    ignored = groups is not None and not columns
    if ignored:
        columns = every
    more = len(columns) > MAX_COLUMNS
    if more:
        no_group = [c for c in columns if c.cohort_id is None]
        named = [c for c in columns if c.cohort_id is not None]
        columns = named[: MAX_COLUMNS - len(no_group)] + no_group
    query = held_now_query(now, element_id)
    page: Paged[Misconception] | None = None
    if asked is not None:
        page = paginate(query, asked, HEATMAP_PAGE)
        misconceptions: Sequence[Misconception] = page.items
    else:
        misconceptions = db.session.scalars(query).all()
    found = _cells(now, [m.id for m in misconceptions])
    empty = GroupCell(0, 0)
    rows = tuple(
        HeatmapRow(
            m,
            tuple(
                GroupCell(int(r.holders), int(r.learners)) if r is not None else empty
                for r in (found.get((m.id, col.cohort_id)) for col in columns)
            ),
        )
        for m in misconceptions
    )
    return CohortHeatmap(tuple(columns), rows, tuple(every), page, ignored, more)
