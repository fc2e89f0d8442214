"""Item analysis for tutors: how hard each question is, whether it separates stronger from
weaker learners, how many learners hold each misconception now and a week ago, and the same
by learner group.

Every figure is counted by the database, in a fixed number of statements whatever the number
of learners, attempts and answers, from summaries kept in the transaction that stores an answer,
finishes an attempt or shows or clears a misconception (quizzes.tallies: answers per question,
finished attempts per quiz and score, answers per question and score, who has finished a quiz
of each element, open holders per misconception; quizzes.group_tally: the heatmap's counts by
learner group) and from the few recent rows of the holders' index. At 2,000 learners and
60,000 attempts the page's statements take a few milliseconds."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from functools import cache
from typing import Any, NamedTuple, Protocol
from typing import cast as cast_type

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from portfolio.auth.models import Cohort, Role, User, UserRole
from portfolio.core import charts
from portfolio.core.paging import PageArg, Paged, paginate
from portfolio.db import UTCDateTime, utcnow
from portfolio.extensions import db
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import bank
from portfolio.quizzes.counted import paginate_counted
from portfolio.quizzes.models import (
    NO_GROUP_KEY,
    ElementGroupTally,
    ElementLearner,
    HeldMisconception,
    MisconceptionGroupTally,
    MisconceptionTally,
    Question,
    QuestionScoreTally,
    QuestionTally,
    Quiz,
    QuizScoreTally,
)

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


class QuestionRow(Protocol):
    """What the figures need of a question: a Question, or a row of bank.questions_in_order."""

    @property
    def id(self) -> str: ...

    @property
    def quiz_id(self) -> str: ...

    @property
    def stem(self) -> str: ...


@dataclass(frozen=True)
class QuestionStats:
    question: QuestionRow
    answered: int
    facility: float | None  # share correct, 0..1
    discrimination: float | None  # upper-group facility minus lower-group facility, -1..1


def facility_query(question_ids: Collection[str]) -> Select[Any]:
    """(question, answers, right answers) for every answer to each question, in any mode:
    read from the question tallies kept as answers are stored (models.QuestionTally)."""
    tally = QuestionTally
    query = select(
        tally.question_id, tally.answered.label("answered"), tally.correct.label("right")
    ).where(tally.question_id.in_(sorted(question_ids)))
    return cast_type("Select[Any]", query)


def scores_query(question_ids: Collection[str]) -> Select[Any]:
    """(question, score, finished attempts at its quiz with that score, answers to the
    question in them, right answers): each question's quiz's sittings by score, from the
    summaries kept as attempts finish (models.QuizScoreTally, QuestionScoreTally). A few
    rows per question, however many attempts there are."""
    by_score = QuestionScoreTally
    query = (
        select(
            Question.id.label("question_id"),
            QuizScoreTally.score,
            QuizScoreTally.sittings,
            func.coalesce(by_score.answered, 0).label("answered"),
            func.coalesce(by_score.correct, 0).label("right"),
        )
        .join(QuizScoreTally, QuizScoreTally.quiz_id == Question.quiz_id)
        .outerjoin(
            by_score,
            and_(by_score.question_id == Question.id, by_score.score == QuizScoreTally.score),
        )
        .where(Question.id.in_(sorted(question_ids)))
        .order_by(Question.id, QuizScoreTally.score)
    )
    return cast_type("Select[Any]", query)


class ScoreBucket(NamedTuple):
    """The finished attempts at a quiz with one score, and one question's answers in them."""

    score: int
    sittings: int
    answered: int
    right: int


def _group(buckets: Sequence[ScoreBucket], size: int) -> tuple[Fraction, Fraction]:
    """(answers, right answers) in the `size` attempts at the start of `buckets`: whole
    buckets while they fit, then the share of the next bucket that fills the group.

    Attempts with the same score cannot be told apart by the score, so where the group's
    edge falls inside a bucket of tied attempts it takes that fraction of the bucket's
    answers and right answers (what a draw of that many of the tied attempts gives on
    average), rather than choosing among them by some other order. Where no tie straddles
    the edge this is exactly the group of the `size` lowest (or highest) scores."""
    # Whole buckets add whole numbers; only the bucket at the edge adds a fraction.
    answered = right = 0
    left = size
    for bucket in buckets:
        if left <= 0:
            break
        if bucket.sittings <= 0:
            continue
        if left < bucket.sittings:
            return (
                answered + Fraction(left * bucket.answered, bucket.sittings),
                right + Fraction(left * bucket.right, bucket.sittings),
            )
        answered += bucket.answered
        right += bucket.right
        left -= bucket.sittings
    return Fraction(answered), Fraction(right)


def discrimination(buckets: Sequence[ScoreBucket]) -> float | None:
    """Facility in the upper 27% of a quiz's finished attempts by score minus that in the
    lower 27% (group_size of them each; ties at a group's edge shared, see _group). None
    below MIN_ATTEMPTS attempts, or when a group holds no answer to the question."""
    ordered = sorted(buckets, key=lambda b: b.score)
    finished = sum(b.sittings for b in ordered)
    if finished < MIN_ATTEMPTS:
        return None
    size = group_size(finished)
    lower, lower_right = _group(ordered, size)
    upper, upper_right = _group(ordered[::-1], size)
    if not upper or not lower:
        return None
    return float(upper_right / upper - lower_right / lower)


def _stats_for(questions: Sequence[QuestionRow]) -> list[QuestionStats]:
    """Facility and discrimination of `questions`, in two statements, from the summaries.

    Facility counts every answer to the question, whatever the mode (a review answer is as
    telling as a test's); discrimination needs a whole attempt's score, so it is drawn from
    finished attempts at the question's quiz only."""
    # Asked even for no questions, so the statements do not depend on the data.
    ids = {q.id for q in questions}
    facility = {
        row.question_id: (int(row.answered), int(row.right or 0))
        for row in db.session.execute(facility_query(ids))
    }
    buckets: dict[str, list[ScoreBucket]] = {}
    for question_id, score, sittings, answered, right in db.session.execute(scores_query(ids)):
        buckets.setdefault(question_id, []).append(
            ScoreBucket(int(score), int(sittings), int(answered), int(right))
        )
    stats = []
    for question in questions:
        answered, correct = facility.get(question.id, (0, 0))
        stats.append(
            QuestionStats(
                question=question,
                answered=answered,
                facility=correct / answered if answered else None,
                discrimination=discrimination(buckets.get(question.id, [])),
            )
        )
    return stats


def question_stats(quiz: Quiz) -> list[QuestionStats]:
    """Every question of one quiz, in its order."""
    return _stats_for(quiz.questions)


def _questions(filters: Filters) -> Select[Any]:
    return bank.questions_in_order(filters.quiz_id, filters.element_id)


def question_page(filters: Filters, asked: PageArg) -> Paged[QuestionStats]:
    """A page of questions (by element, quiz and position) with their figures: three
    statements whatever the size of the bank or of the centre (four for a page past the end).
    The page shows one quiz at a time (filters.quiz_id), so the work is that quiz's attempts,
    not the centre's."""
    page = paginate_counted(_questions(filters), asked, QUESTIONS_PAGE)
    return Paged(_stats_for(page.items), page.total, page.number, page.size, page.message)


# --- Misconceptions: holders now and a week ago ------------------------------------------------


class MisconceptionRow(Protocol):
    """What the figures show of a misconception: a Misconception, or a row of its columns."""

    @property
    def id(self) -> str: ...

    @property
    def element_id(self) -> str: ...

    @property
    def text(self) -> str: ...


# The statements below are built once, with their moments and ids as bound parameters
# given each time (.params), rather than built again for every page.


def _moment(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


def _misconception_columns() -> tuple[Any, ...]:
    return (Misconception.id, Misconception.element_id, Misconception.text)


@dataclass(frozen=True)
class MisconceptionStats:
    misconception: MisconceptionRow
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


def _held_at(when: Any) -> ColumnElement[bool]:
    """Held at `when`: shown by then, and not cleared by then."""
    return and_(
        HeldMisconception.first_seen_at <= when,
        or_(HeldMisconception.cleared_at.is_(None), HeldMisconception.cleared_at > when),
    )


def _finished() -> Any:
    """(element, learner) for each learner who has finished any quiz of the element: the
    denominator of every share here, kept as attempts finish (models.ElementLearner)."""
    return select(ElementLearner.element_id, ElementLearner.user_id).subquery("finished")


def _holders_at(when: Any) -> ColumnElement[int]:
    """How many hold the misconception (of the enclosing query) at `when`: those holding it
    now (models.MisconceptionTally, kept as misconceptions are shown and cleared), less those
    first shown after `when`, plus those who have cleared it since `when`. The two
    corrections read only the stretch of the holders' index after `when`: a few rows for
    now and a week ago, not every holder."""
    held = HeldMisconception
    mine = held.misconception_id == Misconception.id

    def count(*where: ColumnElement[bool]) -> ColumnElement[int]:
        return select(func.count()).where(mine, *where).scalar_subquery()

    holding = (
        select(MisconceptionTally.holding)
        .where(MisconceptionTally.misconception_id == Misconception.id)
        .scalar_subquery()
    )
    later = count(held.cleared_at.is_(None), held.first_seen_at > when)
    since = count(held.cleared_at > when, held.first_seen_at <= when)
    return func.coalesce(holding, 0) - later + since


def misconception_query(now: datetime, element_id: str | None) -> Select[Any]:
    """(id, element_id, text, holders_now, holders_week_ago, learners) of every misconception
    (of one element, if given), the most widely held first."""
    return _misconception_statement(bool(element_id)).params(
        now=now, week_ago=now - timedelta(days=7), element_id=element_id
    )


@cache
def _misconception_statement(narrowed: bool) -> Select[Any]:
    figures = select(
        Misconception.id.label("misconception_id"),
        _holders_at(_moment("now")).label("now"),
        _holders_at(_moment("week_ago")).label("week_ago"),
    )
    if narrowed:
        figures = figures.where(Misconception.element_id == bindparam("element_id"))
    holders = figures.subquery("holders")
    finished = _finished()
    learners = (
        select(finished.c.element_id, func.count().label("learners"))
        .group_by(finished.c.element_id)
        .subquery("learners")
    )
    now_n, week_n = holders.c.now, holders.c.week_ago
    learners_n = func.coalesce(learners.c.learners, 0)
    share = case((learners_n > 0, cast(now_n, Float) / learners_n), else_=0.0)
    query = (
        select(
            *_misconception_columns(),
            now_n.label("holders_now"),
            week_n.label("holders_week_ago"),
            learners_n.label("learners"),
        )
        .join(holders, holders.c.misconception_id == Misconception.id)
        .outerjoin(learners, learners.c.element_id == Misconception.element_id)
        .order_by(share.desc(), Misconception.id)
    )
    if narrowed:
        query = query.where(Misconception.element_id == bindparam("element_id"))
    return cast_type("Select[Any]", query)


def _misconception_row(row: Any) -> MisconceptionStats:
    return MisconceptionStats(
        misconception=row,
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
    counted, not the figures computed twice: here cheaper than a count beside the figures,
    which would add a pass over them all)."""
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
    misconception: MisconceptionRow
    cells: tuple[GroupCell, ...]  # in the order of CohortHeatmap.columns


@dataclass(frozen=True)
class CohortHeatmap:
    columns: tuple[GroupColumn, ...]
    rows: tuple[HeatmapRow, ...]
    # Every group there is (the columns are these, or those the tutor chose).
    groups: tuple[GroupColumn, ...] = ()
    page: Paged[MisconceptionRow] | None = None
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
            # What the groups' own names share; "No group" is not one of them.
            column_start=charts.common_start(
                [c.name for c in self.columns if c.cohort_id is not None]
            ),
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
    rows = db.session.execute(_columns_statement(), {"now": now})
    return [GroupColumn(cohort_id, name) for cohort_id, name in rows]


@cache
def _columns_statement() -> Select[Any]:
    # Looked for among the few people not in a group (staff, learners in none), each by
    # their own rows (whether they have finished a quiz, hold a misconception now), rather
    # than by reading every attempt or held misconception. Two parts, so that each starts
    # from people the database can find by the group index: those in no group, and those
    # in a group who are not learners (a role taken away). Their own rows are asked for in
    # one correlated UNION ALL, which PostgreSQL cannot turn into a pass over every row.
    is_learner = exists(
        select(UserRole.user_id).where(UserRole.user_id == User.id, UserRole.role == Role.LEARNER)
    )
    held = HeldMisconception
    own_rows = exists(
        union_all(
            select(literal(1)).where(ElementLearner.user_id == User.id),
            select(literal(1)).where(held.user_id == User.id, _held_at(_moment("now"))),
        )
    )
    ungrouped = or_(
        exists(select(User.id).where(User.cohort_id.is_(None), or_(is_learner, own_rows))),
        exists(select(User.id).where(User.cohort_id.is_not(None), ~is_learner, own_rows)),
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
    return select(both.c.cohort_id, both.c.name).order_by(
        both.c.last, both.c.name, both.c.cohort_id
    )


def held_now_query(now: datetime, element_id: str | None) -> Select[Any]:
    """(id, element_id, text) of the misconceptions someone holds at `now`: for each
    misconception, one look into the holders' index for a single holder, rather than a pass
    over every held row."""
    return _held_now_statement(bool(element_id)).params(now=now, element_id=element_id)


@cache
def _held_now_statement(narrowed: bool) -> Select[Any]:
    held, now = HeldMisconception, _moment("now")
    shown = and_(held.misconception_id == Misconception.id, held.first_seen_at <= now)
    # Not cleared, or cleared since: two seeks into (misconception, cleared_at, ...), where
    # one OR would read each misconception's cleared rows to find an open one.
    anyone = or_(
        exists(select(held.user_id).where(shown, held.cleared_at.is_(None))),
        exists(select(held.user_id).where(shown, held.cleared_at > now)),
    )
    query = select(*_misconception_columns()).where(anyone).order_by(Misconception.id)
    if narrowed:
        query = query.where(Misconception.element_id == bindparam("element_id"))
    return cast_type("Select[Any]", query)


def cells_query(now: datetime, misconception_ids: Collection[str]) -> CompoundSelect[Any]:
    """The heatmap's counts for the rows shown, by group, in two kinds of rows (a UNION ALL
    told apart by `kind`):

    - "element": (element, group, learners) for each element of the rows: those in the group
      who have finished a quiz of the element (models.ElementLearner, kept as attempts
      finish), counted once per element rather than once per misconception;
    - "misconception": (misconception, group, learners, holders): its holders now, and how
      many of them have not finished a quiz of its element. Those are counted among the
      learners too (a holder has finished a quiz that tests it; counting them keeps the
      share at most 1 even when that quiz belongs to another element). Counted in two
      parts, the holders who have not cleared it and those who cleared it after `now`,
      which add up.

    A cell's learners are its element's plus its misconception's; its holders are the
    misconception's. A learner's group is their group now (a role taken away: no group)."""
    return _cells_statement().params(now=now, ids=sorted(misconception_ids))


def _holder_rows(*held_now: ColumnElement[bool], negative: bool = False) -> Select[Any]:
    """The heatmap's "misconception" rows (cells_query) for the holders matching `held_now`,
    from each misconception shown to its holders through the holders' index; with
    `negative`, counts to take away."""
    ids: Any = bindparam("ids", expanding=True)
    learners, group = _learner_group()
    held, finished = HeldMisconception, aliased(ElementLearner)
    not_finished: ColumnElement[int] = func.count() - func.count(finished.user_id)
    holders: ColumnElement[int] = func.count()
    if negative:
        not_finished, holders = -not_finished, -holders
    query = (
        select(
            literal("misconception").label("kind"),
            held.misconception_id.label("key"),
            group.label("cohort_id"),
            not_finished.label("learners"),
            holders.label("holders"),
        )
        .select_from(Misconception)
        .join(held, held.misconception_id == Misconception.id)
        .join(User, User.id == held.user_id)
        .outerjoin(learners, learners.c.user_id == held.user_id)
        .outerjoin(
            finished,
            and_(
                finished.element_id == Misconception.element_id,
                finished.user_id == held.user_id,
            ),
        )
        .where(Misconception.id.in_(ids), *held_now)
        .group_by(held.misconception_id, group)
    )
    return cast_type("Select[Any]", query)


@cache
def _cells_statement() -> CompoundSelect[Any]:
    ids: Any = bindparam("ids", expanding=True)
    now = _moment("now")
    learners, group = _learner_group()
    elements = select(Misconception.element_id).where(Misconception.id.in_(ids))
    by_element = (
        select(
            literal("element").label("kind"),
            ElementLearner.element_id.label("key"),
            group.label("cohort_id"),
            func.count().label("learners"),
            literal(0).label("holders"),
        )
        .select_from(ElementLearner)
        .join(User, User.id == ElementLearner.user_id)
        .outerjoin(learners, learners.c.user_id == ElementLearner.user_id)
        .where(ElementLearner.element_id.in_(elements))
        .group_by(ElementLearner.element_id, group)
    )
    held = HeldMisconception
    # Held at `now`: not cleared, or cleared since, in two parts (a cell can have rows in
    # both): each a seek into the holders' index (misconception, cleared_at, first_seen_at,
    # user), where one OR would read each misconception's cleared rows too.
    shown = held.first_seen_at <= now
    return union_all(
        by_element,
        _holder_rows(shown, held.cleared_at.is_(None)),
        _holder_rows(shown, held.cleared_at > now),
    )


def kept_cells_query(
    now: datetime, misconception_ids: Collection[str], element_ids: Collection[str]
) -> CompoundSelect[Any]:
    """cells_query's rows read from the counts kept by group (quizzes.group_tally), for the
    rows shown and their elements, with a sixth column: the element a kept misconception row
    was counted against (NULL on other rows). The kept counts are of the holders who have not
    cleared; those that differ at `now` are corrected for from the stretch of the holders'
    index after `now` (first shown since: taken away; cleared since: added), as for
    misconception_query's figures. For the present that is nobody, whatever the centre's
    size."""
    return _kept_cells_statement().params(_kept_params(now, misconception_ids, element_ids))


def _kept_params(
    now: datetime, misconception_ids: Collection[str], element_ids: Collection[str]
) -> dict[str, Any]:
    return {"now": now, "ids": sorted(misconception_ids), "elements": sorted(element_ids)}


@cache
def _kept_cells_statement() -> CompoundSelect[Any]:
    ids: Any = bindparam("ids", expanding=True)
    elements: Any = bindparam("elements", expanding=True)
    now, held = _moment("now"), HeldMisconception
    by_element, by_misconception = ElementGroupTally, MisconceptionGroupTally
    no_stamp = cast(null(), String)
    return union_all(
        select(
            literal("element").label("kind"),
            by_element.element_id.label("key"),
            func.nullif(by_element.cohort_key, NO_GROUP_KEY).label("cohort_id"),
            by_element.learners.label("learners"),
            literal(0).label("holders"),
            no_stamp.label("element_id"),
        ).where(by_element.element_id.in_(elements), by_element.learners != 0),
        select(
            literal("misconception").label("kind"),
            by_misconception.misconception_id.label("key"),
            func.nullif(by_misconception.cohort_key, NO_GROUP_KEY).label("cohort_id"),
            by_misconception.not_finished.label("learners"),
            by_misconception.holders.label("holders"),
            by_misconception.element_id.label("element_id"),
        ).where(
            by_misconception.misconception_id.in_(ids),
            or_(by_misconception.holders != 0, by_misconception.not_finished != 0),
        ),
        _holder_rows(
            held.cleared_at.is_(None), held.first_seen_at > now, negative=True
        ).add_columns(no_stamp),
        _holder_rows(held.cleared_at > now, held.first_seen_at <= now).add_columns(no_stamp),
    )


def _stale(rows: Sequence[Any], element_of: dict[str, str], groups: Collection[int] | None) -> bool:
    """The kept rows were counted against another element than a misconception's now (the
    data files moved it), or name a group that is gone: count in SQL instead."""
    return any(
        (stamp is not None and stamp != element_of.get(key))
        or (groups is not None and group is not None and group not in groups)
        for _, key, group, _, _, stamp in rows
    )


def _cells(
    now: datetime,
    misconceptions: Sequence[MisconceptionRow],
    groups: Collection[int | None] | None = None,
) -> dict[Any, GroupCell]:
    """The heatmap's cell for each (misconception, group) anyone is counted in: one
    statement, from the counts kept by group (kept_cells_query); two if those are stale for
    these rows, or name a group not in `groups` (every group there is, if given), and
    cells_query counts them."""
    ids = [m.id for m in misconceptions]
    element_of = {m.id: m.element_id for m in misconceptions}
    # The statement built once, its values given apart: a copy of it with .params() would
    # have its cache key worked out again on every view.
    rows: Sequence[Any] = db.session.execute(
        _kept_cells_statement(), _kept_params(now, ids, element_of.values())
    ).all()
    named = None if groups is None else {g for g in groups if g is not None}
    if _stale(rows, element_of, named):
        rows = db.session.execute(cells_query(now, ids)).all()
    by_element: dict[Any, int] = {}
    cells: dict[Any, tuple[int, int]] = {}
    for kind, key, group, learners_n, holders_n, *_ in rows:
        cell = (key, group)
        if kind == "element":
            by_element[cell] = by_element.get(cell, 0) + int(learners_n)
            continue
        holders, learners = cells.get(cell, (0, 0))
        cells[cell] = (holders + int(holders_n), learners + int(learners_n))
    found: dict[Any, GroupCell] = {}
    for (element_id, cohort_id), learners in by_element.items():
        for m in misconceptions:
            if m.element_id == element_id:
                found[(m.id, cohort_id)] = GroupCell(0, learners)
    for (misconception_id, cohort_id), (holders, extra) in cells.items():
        base = by_element.get((element_of[misconception_id], cohort_id), 0)
        found[(misconception_id, cohort_id)] = GroupCell(holders, base + extra)
    return found


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
    while some learner is in none. Three statements, with a page or without (four for a page
    past the end)."""
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
    page: Paged[MisconceptionRow] | None = None
    if asked is not None:
        page = paginate_counted(query, asked, HEATMAP_PAGE)
        misconceptions: Sequence[MisconceptionRow] = page.items
    else:
        misconceptions = db.session.execute(query).all()
    found = _cells(now, misconceptions, [c.cohort_id for c in every])
    empty = GroupCell(0, 0)
    rows = tuple(
        HeatmapRow(m, tuple(found.get((m.id, col.cohort_id), empty) for col in columns))
        for m in misconceptions
    )
    return CohortHeatmap(tuple(columns), rows, tuple(every), page, ignored, more)
