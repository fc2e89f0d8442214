"""Quizzes and their questions with every revision, and every attempt and answer learners make."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.auth.models import User
from portfolio.content.models import Page
from portfolio.db import Base, UTCDateTime, str_enum, utcnow
from portfolio.qualifications.models import Element, Misconception
from portfolio.quizzes.spec import QuestionKind, QuestionSpec, question_from_data

ID = String(128)


class Quiz(Base):
    __tablename__ = "quiz"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int]
    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    element: Mapped[Element] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position", cascade="all, delete-orphan"
    )


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class AttemptMode(enum.StrEnum):
    PRACTICE = "practice"  # feedback after each question
    TEST = "test"  # feedback and a score at the end
    REVIEW = "review"  # misconceptions due again, across quizzes, feedback after each

    @property
    def label(self) -> str:
        return self.value.capitalize()


question_misconception = Table(
    "question_misconception",
    Base.metadata,
    Column("question_id", ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    Column("misconception_id", ForeignKey("misconception.id"), primary_key=True),
)


class Question(Base):
    """A question's current state. What it asks lives in `definition` (the file format, as
    validated by spec.question_from_data); every saved state is a QuestionRevision."""

    __tablename__ = "question"

    # "<quiz id>.<question id>": stable across reloads, so stored answers keep meaning.
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quiz.id"), index=True)
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    stem: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus), default=QuestionStatus.DRAFT
    )
    # The revision learners are given while the question is published.
    revision: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Two tutors editing one question: the second save carries a stale version and is refused.
    version: Mapped[int] = mapped_column(default=1)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    # Kept in step with the definition, so "which questions test this" is a query.
    misconceptions: Mapped[list[Misconception]] = relationship(
        secondary=question_misconception, order_by="Misconception.id"
    )
    revisions: Mapped[list[QuestionRevision]] = relationship(
        back_populates="question",
        order_by="QuestionRevision.number",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def spec(self) -> QuestionSpec:
        return question_from_data(self.definition, self.id, stored=True)


class QuestionRevision(Base):
    """One saved state of a question. Written on every save and never changed afterwards;
    answers name the revision they were given, so they are marked against what was shown."""

    __tablename__ = "question_revision"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[QuestionStatus] = mapped_column(str_enum(QuestionStatus))
    # None when the revision came from a quiz file, not from a person.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()

    @property
    def spec(self) -> QuestionSpec:
        return question_from_data(self.definition, f"{self.question_id}@{self.number}", stored=True)


class Attempt(Base):
    __tablename__ = "attempt"
    __table_args__ = (
        CheckConstraint("mode = 'review' OR quiz_id IS NOT NULL", name="quiz_unless_review"),
        # Analytics: a quiz's finished attempts ranked by score (the 27% groups), and who has
        # finished a quiz of each element, read from the index alone.
        Index("ix_attempt_quiz_id_submitted_at", "quiz_id", "submitted_at", "score", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # None for a review, which draws questions from every quiz.
    quiz_id: Mapped[str | None] = mapped_column(ForeignKey("quiz.id"))
    quiz_version: Mapped[int | None]
    mode: Mapped[AttemptMode] = mapped_column(str_enum(AttemptMode), default=AttemptMode.TEST)
    # What this learner was given, in order: [{"question", "revision", "order": [choice ids]}],
    # so a resumed attempt looks the same and is marked against what was shown.
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None]
    quiz: Mapped[Quiz | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="Answer.id"
    )

    @property
    def title(self) -> str:
        return self.quiz.title if self.quiz else "Review of your misconceptions"


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id"),
        # Analytics: every answer to a question (facility), read from the index alone; and
        # the answers to one revision of it.
        Index("ix_answer_question_id_revision", "question_id", "revision", "is_correct"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("question.id"))
    revision: Mapped[int]
    # What the learner gave, in the question's own ids (see marking.py).
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The misconception ids this answer revealed.
    revealed: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_correct: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


# --- Summaries for the tutors' analytics, kept in the transaction that stores an answer or
# finishes an attempt (quizzes.tallies), so the analytics page reads a few rows per question
# instead of every answer and attempt of the centre. tallies.rebuild() recomputes them from
# the rows above; migration 0015 did the same for the rows there were then.


class QuestionTally(Base):
    """Every answer to a question, in any mode, and how many were right: its facility."""

    __tablename__ = "question_tally"

    question_id: Mapped[str] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), primary_key=True
    )
    answered: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)


class QuizScoreTally(Base):
    """How many finished attempts at a quiz have each score: where its 27% groups fall."""

    __tablename__ = "quiz_score_tally"

    quiz_id: Mapped[str] = mapped_column(ForeignKey("quiz.id"), primary_key=True)
    score: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sittings: Mapped[int] = mapped_column(default=0)


class QuestionScoreTally(Base):
    """The answers to a question in finished attempts at its quiz with each score, and how
    many were right: the facility of the question within the upper and lower groups."""

    __tablename__ = "question_score_tally"

    question_id: Mapped[str] = mapped_column(
        ForeignKey("question.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    answered: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)


class ElementLearner(Base):
    """Someone who has finished a quiz of the element (the first time they did): the
    learners every misconception share is out of."""

    __tablename__ = "element_learner"

    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    first_finished_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MisconceptionTally(Base):
    """How many learners hold a misconception and have not cleared it (held_misconception
    rows with no cleared_at): holders at any moment are this, less those first shown after
    it, plus those cleared after it, both read from a recent stretch of the holders' index."""

    __tablename__ = "misconception_tally"

    misconception_id: Mapped[str] = mapped_column(ForeignKey("misconception.id"), primary_key=True)
    holding: Mapped[int] = mapped_column(default=0)


# The heatmap of misconceptions by learner group, kept by quizzes.group_tally in the transaction
# of every change to what it counts (a misconception shown or cleared, a first finish of an
# element's quiz, a user's group or learner role, a user deleted), so the tutors' page reads a
# row per element or misconception and group instead of counting every holder. A learner's
# group is their group while they are a learner (analytics._learner_group); a key column
# cannot be NULL, so "in no group" is the key NO_GROUP_KEY, which no group's id is.

NO_GROUP_KEY = 0


class ElementGroupTally(Base):
    """Those in a group who have finished a quiz of the element (element_learner rows)."""

    __tablename__ = "element_group_tally"

    element_id: Mapped[str] = mapped_column(ForeignKey("element.id"), primary_key=True)
    cohort_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    learners: Mapped[int] = mapped_column(default=0)


class MisconceptionGroupTally(Base):
    """Those in a group who hold a misconception (not cleared), and how many of them have not
    finished a quiz of its element."""

    __tablename__ = "misconception_group_tally"

    misconception_id: Mapped[str] = mapped_column(ForeignKey("misconception.id"), primary_key=True)
    cohort_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # The misconception's element when not_finished was counted: a row counted against
    # another element (the misconception moved) is stale, and the heatmap counts in SQL.
    element_id: Mapped[str] = mapped_column(String(64))
    holders: Mapped[int] = mapped_column(default=0)
    not_finished: Mapped[int] = mapped_column(default=0)


class HeldMisconception(Base):
    """A misconception a learner has shown in a quiz and not yet cleared.

    Shown by a wrong answer that names it; cleared by a right answer, on a later day, to a
    question that tests it (the same day could be short-term memory of the feedback)."""

    __tablename__ = "held_misconception"
    __table_args__ = (
        # Analytics: who holds each misconception now and a week ago (held since, cleared
        # when), read from the index alone; the primary key serves one learner's list.
        Index(
            "ix_held_misconception_misconception_id_cleared_at",
            "misconception_id",
            "cleared_at",
            "first_seen_at",
            "user_id",
        ),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    misconception_id: Mapped[str] = mapped_column(ForeignKey("misconception.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    times_seen: Mapped[int] = mapped_column(default=1)
    # Why the answer that showed it last time was wrong: what the learner reads again.
    last_explanation: Mapped[str] = mapped_column(Text, default="")
    last_question_id: Mapped[str | None] = mapped_column(ForeignKey("question.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Spaced review (Leitner boxes): a misconception shown again is due the next day (box 1);
    # once cleared it comes back after 3, 7 and 21 days, and then no more unless shown again.
    box: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    misconception: Mapped[Misconception] = relationship()


class ReadingSuggestion(Base):
    """A tutor sent a revision page to a learner who holds a misconception it corrects."""

    __tablename__ = "reading_suggestion"
    __table_args__ = (UniqueConstraint("user_id", "page_id", "misconception_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int] = mapped_column(ForeignKey("page.id", ondelete="CASCADE"))
    misconception_id: Mapped[str] = mapped_column(ForeignKey("misconception.id"))
    suggested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    suggested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    page: Mapped[Page] = relationship()
    misconception: Mapped[Misconception] = relationship()
