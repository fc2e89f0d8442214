"""The question bank as tutors browse it: questions a page at a time, narrowed by quiz,
element, status and words in the question, grouped by quiz, each with its latest revision
and author; in a fixed number of statements whatever the size of the bank."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, case, false, func, literal, or_, select

from portfolio.auth.models import User
from portfolio.core.paging import PageArg, Paged, paginate
from portfolio.extensions import db
from portfolio.qualifications.models import Element, Misconception
from portfolio.quizzes.counted import counted_page, paginate_pages
from portfolio.quizzes.models import Question, QuestionRevision, QuestionStatus, Quiz

PAGE_SIZE = 50

# The bank's statements are remembered by their inputs (filters and page, the quizzes on a
# page), as the caseload's are: building one, and the cache key SQLAlchemy finds its compiled
# form by, cost more than running it on the bank's few rows. Statements only, never results.
_remembered = functools.lru_cache(maxsize=256)


@dataclass(frozen=True)
class BankFilters:
    quiz_id: str | None = None
    element_id: str | None = None
    status: QuestionStatus | None = None
    text: str = ""  # words in the question, any case


@dataclass(frozen=True)
class BankRow:
    # One row of the columns the bank shows, as both: a question's id, quiz_id, stem, kind
    # and status (questions_in_order), and its latest revision's number, created_at,
    # author_id and author_name (None for a revision from a quiz file).
    question: Any
    latest: Any


@dataclass(frozen=True)
class QuizBank:
    quiz: Any  # a row of quiz_choices, or the Quiz filtered to
    rows: tuple[BankRow, ...]
    misconceptions: int  # how many of its own the quiz has (listed on a page of their own)


@dataclass(frozen=True)
class QuizChoice:
    """A quiz for the filter's choices, with how many questions it has. The quiz is a row of
    its id, title, element_id and element_title (not an entity: the bank shows only these)."""

    quiz: Any
    questions: int


@dataclass(frozen=True)
class BankPage:
    # One section per quiz with a question on this page, in the page's order; the quiz
    # filtered to is always there, so a quiz with no questions yet can be given one.
    banks: list[QuizBank]
    page: Paged[Any]  # rows of questions_in_order


def quiz_choices() -> list[QuizChoice]:
    """Every quiz with its element's title and question count (the bank's size): one
    statement."""
    return [QuizChoice(row, int(row.questions)) for row in db.session.execute(_choices())]


@functools.cache
def _choices() -> Select[Any]:
    counted = (
        select(func.count(Question.id))
        .where(Question.quiz_id == Quiz.id)
        .correlate(Quiz)
        .scalar_subquery()
    )
    return (
        select(
            Quiz.id,
            Quiz.title,
            Quiz.element_id,
            Element.title.label("element_title"),
            counted.label("questions"),
        )
        .join(Element, Element.id == Quiz.element_id)
        .order_by(Quiz.element_id, Quiz.title, Quiz.id)
    )


def questions_in_order(quiz_id: str | None = None, element_id: str | None = None) -> Select[Any]:
    """Questions as the bank and the analytics list them, as rows of the columns they show
    (id, quiz_id, stem, kind, status; each page has its quizzes already): by element, quiz
    title, then position; narrowed to one quiz or element when given."""
    query = (
        select(Question.id, Question.quiz_id, Question.stem, Question.kind, Question.status)
        .join(Quiz, Question.quiz_id == Quiz.id)
        .order_by(Quiz.element_id, Quiz.title, Quiz.id, Question.position, Question.id)
    )
    if quiz_id:
        query = query.where(Question.quiz_id == quiz_id)
    if element_id:
        query = query.where(Quiz.element_id == element_id)
    return cast("Select[Any]", query)


def _questions(filters: BankFilters) -> Select[Any]:
    query = questions_in_order(filters.quiz_id, filters.element_id)
    if filters.status is not None:
        query = query.where(Question.status == filters.status)
    if filters.text:
        query = query.where(
            func.lower(Question.stem).contains(filters.text.lower(), autoescape=True)
        )
    return query


def _with_latest(query: Select[Any]) -> Select[Any]:
    """`query`'s questions with their newest revision's number, created_at, author_id and
    author_name (None for a revision from a quiz file) beside them, in the same statement:
    the newest found through the (question, number) index, its author by id."""
    revision = QuestionRevision
    newest = (
        select(func.max(revision.number))
        .where(revision.question_id == Question.id)
        .correlate(Question)
        .scalar_subquery()
    )
    return (
        query.add_columns(
            revision.number,
            revision.created_at,
            revision.author_id,
            User.name.label("author_name"),
        )
        .outerjoin(revision, (revision.question_id == Question.id) & (revision.number == newest))
        .outerjoin(User, User.id == revision.author_id)
    )


def _own_misconceptions(quizzes: Sequence[Any]) -> dict[str, int]:
    """How many misconceptions of its own ("<quiz id>.<slug>") each quiz has: one statement.
    A tutor may add any number, so the bank shows the count and links to their page."""
    counts = {q.id: 0 for q in quizzes}
    for quiz_id, n in db.session.execute(_own_misconceptions_of(tuple(counts))):
        counts[quiz_id] = int(n)
    return counts


def _own(quiz_id: str) -> ColumnElement[bool]:
    return Misconception.id.startswith(f"{quiz_id}.", autoescape=True)


@_remembered
def _own_misconceptions_of(quiz_ids: tuple[str, ...]) -> Select[Any]:
    # Asked even for no quizzes (matching nothing), so the statements do not depend on the data.
    whens = [(_own(q), literal(q)) for q in quiz_ids] or [(false(), literal(""))]
    # Grouped outside, by the subquery's column: PostgreSQL cannot tell that a GROUP BY
    # expression with its own bind parameters is the one selected.
    owners = (
        select(case(*whens, else_=None).label("quiz_id"))
        .where(or_(false(), *(_own(q) for q in quiz_ids)))
        .subquery()
    )
    return select(owners.c.quiz_id, func.count()).group_by(owners.c.quiz_id)


def quiz_misconceptions(quiz_id: str, asked: PageArg) -> Paged[Any]:
    """A page of one quiz's own misconceptions, as (id, text) rows by id: two statements."""
    query = cast(Select[Any], select(Misconception.id, Misconception.text).where(_own(quiz_id)))
    return paginate(query.order_by(Misconception.id), asked, PAGE_SIZE, scalars=False)


@_remembered
def _page(filters: BankFilters, number: int) -> Select[Any]:
    return counted_page(_with_latest(_questions(filters)), number, PAGE_SIZE)


def bank_page(
    filters: BankFilters,
    asked: PageArg,
    chosen: Any = None,
    every: Mapping[str, Any] | None = None,
) -> BankPage:
    """A page of the bank: two statements (three without `every`, every quiz by id with its
    element, which the page has already for its filter). `chosen` is the quiz filtered to."""
    page = paginate_pages(lambda number: _page(filters, number), asked, PAGE_SIZE)
    questions: Sequence[Any] = page.items
    if every is None:
        every = {c.quiz.id: c.quiz for c in quiz_choices()}
    quizzes: list[Any] = []
    for q in questions:
        if not quizzes or quizzes[-1].id != q.quiz_id:
            quizzes.append(every[q.quiz_id])
    if chosen is not None and all(q.id != chosen.id for q in quizzes):
        quizzes.append(chosen)
    own = _own_misconceptions(quizzes)
    banks = [
        QuizBank(
            quiz=quiz,
            rows=tuple(
                BankRow(q, q) for q in questions if q.quiz_id == quiz.id and q.number is not None
            ),
            misconceptions=own[quiz.id],
        )
        for quiz in quizzes
    ]
    return BankPage(banks, page)
