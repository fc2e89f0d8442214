"""Quizzes loaded from content/, and every attempt and answer learners make."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.content.models import Page
from portfolio.db import Base, UTCDateTime, utcnow
from portfolio.qualifications.models import Element, Misconception

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


class Question(Base):
    __tablename__ = "question"

    # "<quiz id>.<question id>": stable across reloads, so stored answers keep meaning.
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quiz.id"), index=True)
    position: Mapped[int]
    stem: Mapped[str] = mapped_column(Text)
    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    options: Mapped[list[Option]] = relationship(
        back_populates="question", order_by="Option.position", cascade="all, delete-orphan"
    )


class Option(Base):
    __tablename__ = "option"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("question.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool]
    explanation: Mapped[str] = mapped_column(Text)
    misconception_id: Mapped[str | None] = mapped_column(ForeignKey("misconception.id"))
    question: Mapped[Question] = relationship(back_populates="options")
    misconception: Mapped[Misconception | None] = relationship()


class Attempt(Base):
    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quiz.id"))
    quiz_version: Mapped[int]
    # The shuffled option order this learner saw, so a resumed attempt looks the same.
    option_order: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None]
    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan"
    )


class Answer(Base):
    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("question.id"))
    option_id: Mapped[str] = mapped_column(ForeignKey("option.id"))
    is_correct: Mapped[bool]
    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    option: Mapped[Option] = relationship()


class HeldMisconception(Base):
    """A misconception a learner has shown in a quiz and not yet cleared.

    Shown by a wrong answer that names it; cleared by a right answer, on a later day, to a
    question that tests it (the same day could be short-term memory of the feedback)."""

    __tablename__ = "held_misconception"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    misconception_id: Mapped[str] = mapped_column(ForeignKey("misconception.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    times_seen: Mapped[int] = mapped_column(default=1)
    # The wrong option chosen last time: its explanation is what the learner reads again.
    last_option_id: Mapped[str] = mapped_column(ForeignKey("option.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    misconception: Mapped[Misconception] = relationship()
    last_option: Mapped[Option] = relationship()


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
