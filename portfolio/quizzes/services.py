"""Loading quizzes, and starting, answering and marking attempts in each mode."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, and_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portfolio.auth.models import User
from portfolio.content import services as content
from portfolio.content.models import Page, PageRead
from portfolio.core.paging import PageArg, Paged, paged, paginate, paginate_bound
from portfolio.db import utcnow
from portfolio.extensions import db
from portfolio.qualifications import services as qualifications
from portfolio.qualifications.models import Misconception
from portfolio.quizzes import group_tally, tallies
from portfolio.quizzes.marking import Marking, ResponseError, check_response, mark
from portfolio.quizzes.models import (
    Answer,
    Attempt,
    AttemptMode,
    HeldMisconception,
    Question,
    QuestionRevision,
    QuestionStatus,
    Quiz,
    ReadingSuggestion,
    question_misconception,
)
from portfolio.quizzes.spec import QuestionKind, QuestionSpec, QuizSpec

_random = secrets.SystemRandom()

# Leitner boxes: days until a misconception comes up for review again. Box 1 is a held
# misconception; boxes 2-4 confirm a cleared one; past the last box it is not asked again.
REVIEW_DAYS = {1: 1, 2: 3, 3: 7, 4: 21}
REVIEW_SIZE = 10


class AttemptError(Exception):
    """An answer submission was refused; nothing was stored. The message says why."""


ALREADY_SUBMITTED = "This attempt was already submitted; its answers cannot change."


def sync_question(
    question: Question, spec: QuestionSpec, status: QuestionStatus, author: User | None, note: str
) -> None:
    """Make `spec` the question's current state and record it as a new revision."""
    number = len(question.revisions) + 1
    question.kind, question.stem, question.definition = spec.kind, spec.stem, spec.to_data()
    question.status, question.updated_at = status, utcnow()
    if status is QuestionStatus.PUBLISHED:
        question.revision = number
    found = (db.session.get(Misconception, mid) for mid in sorted(spec.misconceptions()))
    question.misconceptions = [m for m in found if m is not None]
    question.revisions.append(
        QuestionRevision(
            number=number,
            definition=question.definition,
            status=status,
            author_id=author.id if author else None,
            note=note,
        )
    )


def sync_quizzes(specs: Sequence[QuizSpec]) -> int:
    """Upsert quizzes and their questions from the files. Rows are never deleted: stored
    answers refer to them. A question a tutor has since edited in the browser keeps the
    tutor's version; the file's is applied only over a file's own."""
    for spec in specs:
        qualifications.store_misconceptions(spec.element_id, spec.misconceptions)
        db.session.flush()
        quiz = db.session.get(Quiz, spec.id) or Quiz(id=spec.id)
        db.session.add(quiz)
        quiz.version, quiz.element_id, quiz.title = spec.version, spec.element_id, spec.title
        for position, q in enumerate(spec.questions):
            qid = f"{spec.id}.{q.id}"
            question = db.session.get(Question, qid)
            if question is None:
                question = Question(id=qid, quiz_id=spec.id, position=position)
                db.session.add(question)
            question.position = position
            latest = question.revisions[-1] if question.revisions else None
            if latest is None or (latest.author_id is None and latest.definition != q.to_data()):
                sync_question(question, q, QuestionStatus.PUBLISHED, None, f"From {spec.id}.yaml")
    db.session.commit()
    return len(specs)


def list_quizzes() -> Sequence[Quiz]:
    # The quiz list shows each quiz's element and counts its questions: load them together.
    return db.session.scalars(
        select(Quiz)
        .order_by(Quiz.element_id, Quiz.title)
        .options(selectinload(Quiz.questions), selectinload(Quiz.element))
    ).all()


@dataclass(frozen=True)
class QuizListing:
    """A quiz as the learner's list shows it: its element, and how many questions it gives."""

    quiz: Quiz
    published: int


def quiz_page(asked: PageArg, element_id: str | None = None) -> Paged[QuizListing]:
    """A page of quizzes (of one element, if given) with their published questions counted
    in SQL: two statements."""
    published = (
        select(func.count(Question.id))
        .where(Question.quiz_id == Quiz.id, Question.status == QuestionStatus.PUBLISHED)
        .correlate(Quiz)
        .scalar_subquery()
    )
    query = (
        select(Quiz, published.label("published"))
        .options(joinedload(Quiz.element))
        .order_by(Quiz.element_id, Quiz.title, Quiz.id)
    )
    if element_id:
        query = query.where(Quiz.element_id == element_id)
    page = paginate(query, asked, scalars=False)
    return Paged(
        [QuizListing(quiz, int(n)) for quiz, n in page.items],
        page.total,
        page.number,
        page.size,
        page.message,
    )


def list_quiz_choices() -> Sequence[Quiz]:
    """Every quiz with its element, for a filter's choices (the bank's size, not the
    centre's): one statement."""
    return db.session.scalars(
        select(Quiz).options(joinedload(Quiz.element)).order_by(Quiz.element_id, Quiz.title)
    ).all()


def get_quiz(quiz_id: str) -> Quiz | None:
    return db.session.get(Quiz, quiz_id)


def published_questions(quiz: Quiz) -> list[Question]:
    return [q for q in quiz.questions if q.status is QuestionStatus.PUBLISHED]


def _layout_entry(question: Question) -> dict[str, Any]:
    spec = question.spec
    order = [c.id for c in spec.choices]
    if spec.kind is not QuestionKind.TRUE_FALSE:
        _random.shuffle(order)
    return {"question": question.id, "revision": question.revision, "order": order}


def start_attempt(user: User, quiz: Quiz, mode: AttemptMode = AttemptMode.TEST) -> Attempt:
    """Resume the learner's open attempt at this quiz in this mode, or start one with the
    published questions and their options shuffled."""
    if mode is AttemptMode.REVIEW:
        raise ValueError("a review is started with start_review")
    open_attempt = db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user.id,
            Attempt.quiz_id == quiz.id,
            Attempt.mode == mode,
            Attempt.submitted_at.is_(None),
        )
    )
    if open_attempt is not None:
        return open_attempt
    attempt = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        quiz_version=quiz.version,
        mode=mode,
        layout=[_layout_entry(q) for q in published_questions(quiz)],
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def get_attempt(user: User, attempt_id: int) -> Attempt | None:
    """Only the learner's own attempt; anyone else's is as good as missing."""
    attempt = db.session.get(Attempt, attempt_id)
    return attempt if attempt is not None and attempt.user_id == user.id else None


@dataclass(frozen=True)
class ShownQuestion:
    """One question of an attempt as the learner was given it."""

    number: int
    question: Question
    spec: QuestionSpec
    revision: int
    order: list[str]  # choice ids in the shuffled order shown
    answer: Answer | None

    @property
    def shown_choices(self) -> list[tuple[int, str]]:
        """(position in the shuffled order, text): the form's values are positions, never
        ids, so nothing in the page tells which answer is right."""
        text = {c.id: c.text for c in self.spec.choices}
        return [(n, text[i]) for n, i in enumerate(self.order) if i in text]


def shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    answers = {a.question_id: a for a in attempt.answers}
    ids = [entry["question"] for entry in attempt.layout]
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    revisions = {
        (r.question_id, r.number): r
        for r in db.session.scalars(
            select(QuestionRevision).where(QuestionRevision.question_id.in_(ids))
        )
    }
    shown = []
    for number, entry in enumerate(attempt.layout, start=1):
        revision = revisions[(entry["question"], entry["revision"])]
        shown.append(
            ShownQuestion(
                number=number,
                question=questions[entry["question"]],
                spec=revision.spec,
                revision=revision.number,
                order=list(entry["order"]),
                answer=answers.get(entry["question"]),
            )
        )
    return shown


def next_unanswered(attempt: Attempt) -> ShownQuestion | None:
    return next((s for s in shown_questions(attempt) if s.answer is None), None)


def submit_attempt(attempt: Attempt, responses: Mapping[str, Mapping[str, Any]]) -> Attempt:
    """Mark a whole test at once. A second submit, or a response naming a question or
    option that is not in this attempt, is refused whole."""
    if attempt.submitted_at is not None:
        raise AttemptError(ALREADY_SUBMITTED)
    shown = {s.question.id: s for s in shown_questions(attempt)}
    if set(responses) - set(shown):
        raise AttemptError("The answers named a question that is not in this quiz.")
    missing = [s for s in shown.values() if s.answer is None and not responses.get(s.question.id)]
    if missing:
        raise AttemptError(f"Answer every question: {len(missing)} not answered yet.")
    # Mark every response before changing anything: one refused response must leave nothing
    # behind (recording misconceptions queries, which would flush the answers before it).
    marked = [(shown[qid], *_mark(shown[qid], response)) for qid, response in responses.items()]
    now = utcnow()
    holding: Counter[str] = Counter()
    with group_tally.keeping([attempt.user_id]):
        for s, answer, marking in marked:
            attempt.answers.append(answer)
            holding.update(_record_misconceptions(attempt.user_id, s, marking, now))
        tallies.count_holding(holding)
        tallies.count_answers([answer for _, answer, _ in marked])
        _finish(attempt, now)
    _commit_once()
    return attempt


def answer_question(
    attempt: Attempt, number: int, response: Mapping[str, Any]
) -> tuple[Answer, Marking]:
    """Mark one question of a practice or review attempt straight away. Only the next
    unanswered question can be answered: a replayed or out-of-turn answer is refused."""
    if attempt.submitted_at is not None:
        raise AttemptError(ALREADY_SUBMITTED)
    shown = next_unanswered(attempt)
    if shown is None or shown.number != number:
        raise AttemptError("That question was already answered; your first answer stands.")
    now = utcnow()
    answer, marking = _mark(shown, response)
    with group_tally.keeping([attempt.user_id]):
        attempt.answers.append(answer)
        tallies.count_holding(_record_misconceptions(attempt.user_id, shown, marking, now))
        tallies.count_answers([answer])
        if len(attempt.answers) == len(attempt.layout):
            _finish(attempt, now)
    _commit_once()
    return answer, marking


def _mark(shown: ShownQuestion, response: Mapping[str, Any]) -> tuple[Answer, Marking]:
    try:
        # Stored in canonical form: only the question's own ids, in a fixed shape.
        response = check_response(shown.spec, response)
        marking = mark(shown.spec, response)
    except ResponseError as exc:
        raise AttemptError(f"Question {shown.number}: {exc}") from None
    answer = Answer(
        question_id=shown.question.id,
        revision=shown.revision,
        response=dict(response),
        revealed=[r.misconception_id for r in marking.revealed],
        is_correct=marking.correct,
    )
    return answer, marking


def _finish(attempt: Attempt, now: datetime) -> None:
    """Score and close the attempt, and count it in the analytics' summaries (in this
    transaction: a refused commit counts nothing)."""
    attempt.score = sum(a.is_correct for a in attempt.answers)
    attempt.submitted_at = now
    tallies.count_finished(attempt, now)


def _commit_once() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # A double-click raced this request and won: its answers stand.
        db.session.rollback()
        raise AttemptError(ALREADY_SUBMITTED) from None


def _schedule(row: HeldMisconception, box: int, now: datetime) -> None:
    row.box = box
    days = REVIEW_DAYS.get(box)
    row.due_at = now + timedelta(days=days) if days else None


def _record_misconceptions(
    user_id: int, shown: ShownQuestion, marking: Marking, now: datetime
) -> Counter[str]:
    """A revealed misconception is (re)opened and due for review the next day. A right answer
    on a later day than a misconception was last shown clears it; a right answer to a cleared
    one that has come due moves it to a longer interval. Returns the change in each
    misconception's open holders, for tallies.count_holding."""
    holding: Counter[str] = Counter()
    tested = shown.spec.misconceptions()
    held = {
        h.misconception_id: h
        for h in db.session.scalars(
            select(HeldMisconception).where(
                HeldMisconception.user_id == user_id,
                HeldMisconception.misconception_id.in_(tested),
            )
        )
    }
    for revealed in marking.revealed:
        row = held.get(revealed.misconception_id)
        if row is None:
            row = HeldMisconception(
                user_id=user_id,
                misconception_id=revealed.misconception_id,
                first_seen_at=now,
                times_seen=0,
            )
            db.session.add(row)
            held[row.misconception_id] = row
            holding[row.misconception_id] += 1
        elif row.cleared_at is not None:
            holding[row.misconception_id] += 1  # shown again after clearing
        row.last_seen_at, row.last_explanation = now, revealed.explanation
        row.last_question_id, row.cleared_at = shown.question.id, None
        row.times_seen += 1
        _schedule(row, 1, now)
    if not marking.correct:
        return holding
    for misconception_id in tested:
        row = held.get(misconception_id)
        if row is None:
            continue
        if row.cleared_at is None and row.last_seen_at.date() < now.date():
            row.cleared_at = now
            holding[misconception_id] -= 1
            _schedule(row, 2, now)
        elif row.cleared_at is not None and row.due_at is not None and row.due_at <= now:
            _schedule(row, row.box + 1, now)
    return holding


def due_reviews(
    user: User, now: datetime | None = None, limit: int | None = None
) -> Sequence[HeldMisconception]:
    """Misconceptions, held or recently cleared, that are due to be asked again, the longest
    due first (the first `limit` of them, if given)."""
    return db.session.scalars(
        select(HeldMisconception)
        .where(HeldMisconception.user_id == user.id, HeldMisconception.due_at <= (now or utcnow()))
        .order_by(HeldMisconception.due_at, HeldMisconception.misconception_id)
        .limit(limit)
    ).all()


# Built once: the learner's home and list pages count it on every visit.
_DUE_COUNT = select(func.count()).where(
    HeldMisconception.user_id == bindparam("user_id"),
    HeldMisconception.due_at <= bindparam("now", type_=HeldMisconception.due_at.type),
)


def count_due_reviews(user: User, now: datetime | None = None) -> int:
    """How many misconceptions are due to be asked again, counted by the database."""
    return db.session.scalar(_DUE_COUNT, {"user_id": user.id, "now": now or utcnow()}) or 0


def next_review_at(user: User) -> datetime | None:
    return db.session.scalar(
        select(HeldMisconception.due_at)
        .where(HeldMisconception.user_id == user.id, HeldMisconception.due_at.is_not(None))
        .order_by(HeldMisconception.due_at)
        .limit(1)
    )


def open_review(user: User) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.user_id == user.id,
            Attempt.mode == AttemptMode.REVIEW,
            Attempt.submitted_at.is_(None),
        )
    )


def start_review(user: User, now: datetime | None = None) -> Attempt | None:
    """Resume the open review, or start one: for each misconception due, a published
    question that tests it, a different one from last time where the bank has one.
    None when nothing is due."""
    existing = open_review(user)
    if existing is not None:
        return existing
    due = due_reviews(user, now, limit=REVIEW_SIZE)
    # Every published question testing any of them, in one statement.
    testing: dict[str, list[Question]] = {row.misconception_id: [] for row in due}
    for misconception_id, question in db.session.execute(
        select(question_misconception.c.misconception_id, Question)
        .join(question_misconception, question_misconception.c.question_id == Question.id)
        .where(
            Question.status == QuestionStatus.PUBLISHED,
            question_misconception.c.misconception_id.in_(list(testing)),
        )
        .order_by(Question.id)
    ):
        testing[misconception_id].append(question)
    chosen: list[Question] = []
    for row in due:
        candidates = [q for q in testing[row.misconception_id] if q not in chosen]
        fresh = [q for q in candidates if q.id != row.last_question_id] or candidates
        if fresh:
            chosen.append(_random.choice(fresh))
    if not chosen:
        return None
    attempt = Attempt(
        user_id=user.id,
        quiz_id=None,
        quiz_version=None,
        mode=AttemptMode.REVIEW,
        layout=[_layout_entry(q) for q in chosen],
    )
    db.session.add(attempt)
    db.session.commit()
    return attempt


def held_misconceptions(user: User) -> Sequence[HeldMisconception]:
    """Misconceptions this learner still holds, most recently shown first."""
    return db.session.scalars(_held_query(user)).all()


def cleared_misconceptions(user: User) -> Sequence[HeldMisconception]:
    return db.session.scalars(_cleared_query(user)).all()


def _held_query(user: User) -> Select[HeldMisconception]:
    return (
        select(HeldMisconception)
        .where(HeldMisconception.user_id == user.id, HeldMisconception.cleared_at.is_(None))
        .options(joinedload(HeldMisconception.misconception))
        .order_by(HeldMisconception.last_seen_at.desc(), HeldMisconception.misconception_id)
    )


def _cleared_query(user: User) -> Select[HeldMisconception]:
    return (
        select(HeldMisconception)
        .where(HeldMisconception.user_id == user.id, HeldMisconception.cleared_at.is_not(None))
        .options(joinedload(HeldMisconception.misconception))
        .order_by(HeldMisconception.cleared_at.desc(), HeldMisconception.misconception_id)
    )


_held = HeldMisconception
_MINE = _held.user_id == bindparam("user_id")
# The learner's lists, built once (core.paging.paged): every visit to "My misconceptions" runs
# all four, and building them cost about as much as running them.
_HELD_PAGE = paged(
    cast(
        "Select[Any]",
        select(
            _held.misconception_id,
            Misconception.element_id,
            Misconception.text,
            _held.last_explanation,
            _held.times_seen,
            _held.last_seen_at,
            _held.due_at,
        )
        .join(Misconception, Misconception.id == _held.misconception_id)
        .where(_MINE, _held.cleared_at.is_(None))
        .order_by(_held.last_seen_at.desc(), _held.misconception_id),
    )
)
_HELD_COUNT = select(func.count()).select_from(_held).where(_MINE, _held.cleared_at.is_(None))
_CLEARED_PAGE = paged(
    cast(
        "Select[Any]",
        select(Misconception.text, _held.cleared_at)
        .join(Misconception, Misconception.id == _held.misconception_id)
        .where(_MINE, _held.cleared_at.is_not(None))
        .order_by(_held.cleared_at.desc(), _held.misconception_id),
    )
)
_CLEARED_COUNT = select(func.count()).select_from(_held).where(_MINE, _held.cleared_at.is_not(None))


def held_page(user: User, asked: PageArg) -> Paged[Any]:
    """A page of held_misconceptions as rows of the columns the learner's list shows
    (misconception_id, element_id, text, last_explanation, times_seen, last_seen_at, due_at),
    in the same order: two statements (the total counted on the holders' rows alone), no
    entities."""
    mine = {"user_id": user.id}
    total = db.session.scalar(_HELD_COUNT, mine) or 0
    return paginate_bound(_HELD_PAGE, mine, asked, total)


def cleared_page(user: User, asked: PageArg) -> Paged[Any]:
    """A page of cleared_misconceptions as (text, cleared_at) rows, most recently cleared
    first: two statements, no entities."""
    mine = {"user_id": user.id}
    total = db.session.scalar(_CLEARED_COUNT, mine) or 0
    return paginate_bound(_CLEARED_PAGE, mine, asked, total)


def send_page_to_holders(tutor: User, misconception_id: str, page_id: int) -> int:
    """Suggest a revision page to every learner who holds the misconception now. Sending
    again refreshes the date, so it shows as new. Returns how many learners it went to.

    Set-based whatever the number of holders: one UPDATE of the suggestions already there,
    one INSERT ... SELECT of the rest, one count."""
    page = content.get_published_page_by_id(page_id)
    if page is None:
        raise ValueError("Choose a published revision page.")
    holders = select(HeldMisconception.user_id).where(
        HeldMisconception.misconception_id == misconception_id,
        HeldMisconception.cleared_at.is_(None),
    )
    now = utcnow()
    db.session.execute(
        update(ReadingSuggestion)
        .where(
            ReadingSuggestion.page_id == page.id,
            ReadingSuggestion.misconception_id == misconception_id,
            ReadingSuggestion.user_id.in_(holders),
        )
        .values(suggested_by_id=tutor.id, suggested_at=now),
        execution_options={"synchronize_session": False},
    )
    already = select(ReadingSuggestion.user_id).where(
        ReadingSuggestion.page_id == page.id,
        ReadingSuggestion.misconception_id == misconception_id,
    )
    db.session.execute(
        insert(ReadingSuggestion).from_select(
            ["user_id", "page_id", "misconception_id", "suggested_by_id", "suggested_at"],
            select(
                HeldMisconception.user_id,
                literal(page.id),
                literal(misconception_id),
                literal(tutor.id),
                literal(now, ReadingSuggestion.suggested_at.type),
            ).where(
                HeldMisconception.misconception_id == misconception_id,
                HeldMisconception.cleared_at.is_(None),
                HeldMisconception.user_id.not_in(already),
            ),
        )
    )
    sent = db.session.scalar(select(func.count()).select_from(holders.subquery())) or 0
    db.session.commit()
    return sent


def _open_suggestions_query() -> Select[ReadingSuggestion]:
    read = and_(
        PageRead.user_id == ReadingSuggestion.user_id,
        PageRead.page_id == ReadingSuggestion.page_id,
    )
    return (
        select(ReadingSuggestion)
        .outerjoin(PageRead, read)
        .where(
            ReadingSuggestion.user_id == bindparam("user_id"),
            or_(PageRead.read_at.is_(None), PageRead.read_at < ReadingSuggestion.suggested_at),
        )
        .order_by(ReadingSuggestion.suggested_at.desc(), ReadingSuggestion.id)
        .options(
            joinedload(ReadingSuggestion.page).load_only(Page.slug, Page.title),
            joinedload(ReadingSuggestion.misconception),
        )
    )


# Built once (every learner's home page runs it): building it, loader options and all, cost
# about as much as running it.
_OPEN_SUGGESTIONS = _open_suggestions_query()


def open_suggestions(user: User) -> list[ReadingSuggestion]:
    """Pages suggested to this learner that they have not marked read since: one statement
    with each page's title and address and the misconception's text (it was three a
    suggestion: the page, the misconception and the learner's read of the page)."""
    return list(db.session.scalars(_OPEN_SUGGESTIONS, {"user_id": user.id}))


def list_attempts(user: User) -> Sequence[Attempt]:
    return db.session.scalars(
        select(Attempt)
        .where(Attempt.user_id == user.id)
        .order_by(Attempt.started_at.desc())
        .options(selectinload(Attempt.answers), selectinload(Attempt.quiz))
    ).all()


@dataclass(frozen=True)
class AttemptListing:
    """One of a learner's attempts as their list shows it, its answers counted in SQL."""

    attempt: Attempt
    answered: int


def attempt_page(user: User, asked: PageArg) -> Paged[AttemptListing]:
    """A page of the learner's attempts, newest first, with the quiz's title and how many
    questions each has answered: two statements."""
    answered = (
        select(func.count(Answer.id))
        .where(Answer.attempt_id == Attempt.id)
        .correlate(Attempt)
        .scalar_subquery()
    )
    query = (
        select(Attempt, answered.label("answered"))
        .where(Attempt.user_id == user.id)
        .options(joinedload(Attempt.quiz))
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
    )
    page = paginate(query, asked, scalars=False)
    return Paged(
        [AttemptListing(a, int(n)) for a, n in page.items],
        page.total,
        page.number,
        page.size,
        page.message,
    )
