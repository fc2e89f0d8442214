"""quiz analytics summaries: answers and right answers per question, finished attempts per quiz
and score, answers per question and score, who has finished a quiz of each element, and how
many hold each misconception

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:00:00.000000

The app keeps these up to date in the transaction that stores an answer or finishes an attempt
or shows or clears a misconception (portfolio/quizzes/tallies.py), so the analytics page reads a few rows per question instead of
a centre's every answer and attempt (issue 12). The upgrade fills them from the rows already
there, in set-based SQL: one INSERT ... SELECT per table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The tables read, as they are at this revision.
_answer = sa.table(
    "answer",
    sa.column("attempt_id", sa.Integer()),
    sa.column("question_id", sa.String()),
    sa.column("is_correct", sa.Boolean()),
)
_attempt = sa.table(
    "attempt",
    sa.column("id", sa.Integer()),
    sa.column("user_id", sa.Integer()),
    sa.column("quiz_id", sa.String()),
    sa.column("submitted_at", sa.DateTime()),
    sa.column("score", sa.Integer()),
)
_quiz = sa.table("quiz", sa.column("id", sa.String()), sa.column("element_id", sa.String()))
_held = sa.table(
    "held_misconception",
    sa.column("misconception_id", sa.String()),
    sa.column("cleared_at", sa.DateTime()),
)


def _tables():
    question_tally = op.create_table(
        "question_tally",
        sa.Column("question_id", sa.String(length=128), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_tally_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_question_tally")),
    )
    quiz_score_tally = op.create_table(
        "quiz_score_tally",
        sa.Column("quiz_id", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sittings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"], ["quiz.id"], name=op.f("fk_quiz_score_tally_quiz_id_quiz")
        ),
        sa.PrimaryKeyConstraint("quiz_id", "score", name=op.f("pk_quiz_score_tally")),
    )
    question_score_tally = op.create_table(
        "question_score_tally",
        sa.Column("question_id", sa.String(length=128), nullable=False),
        sa.Column("score", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_score_tally_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "score", name=op.f("pk_question_score_tally")),
    )
    element_learner = op.create_table(
        "element_learner",
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("first_finished_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"], ["element.id"], name=op.f("fk_element_learner_element_id_element")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_element_learner_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("element_id", "user_id", name=op.f("pk_element_learner")),
    )
    op.create_index(
        op.f("ix_element_learner_user_id"), "element_learner", ["user_id"], unique=False
    )
    misconception_tally = op.create_table(
        "misconception_tally",
        sa.Column("misconception_id", sa.String(length=64), nullable=False),
        sa.Column("holding", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["misconception_id"],
            ["misconception.id"],
            name=op.f("fk_misconception_tally_misconception_id_misconception"),
        ),
        sa.PrimaryKeyConstraint("misconception_id", name=op.f("pk_misconception_tally")),
    )
    return (
        question_tally,
        quiz_score_tally,
        question_score_tally,
        element_learner,
        misconception_tally,
    )


def upgrade():
    tables = _tables()
    question_tally, quiz_score_tally, question_score_tally, element_learner, holding = tables
    right = sa.func.sum(sa.case((_answer.c.is_correct, 1), else_=0))
    score = sa.func.coalesce(_attempt.c.score, 0)
    finished_at_quiz = sa.and_(
        _attempt.c.quiz_id.is_not(None), _attempt.c.submitted_at.is_not(None)
    )
    # Every answer, in any mode (facility).
    op.execute(
        question_tally.insert().from_select(
            ["question_id", "answered", "correct"],
            sa.select(_answer.c.question_id, sa.func.count(), right).group_by(
                _answer.c.question_id
            ),
        )
    )
    # Finished attempts at a quiz by score, and the answers in them (discrimination).
    op.execute(
        quiz_score_tally.insert().from_select(
            ["quiz_id", "score", "sittings"],
            sa.select(_attempt.c.quiz_id, score, sa.func.count())
            .where(finished_at_quiz)
            .group_by(_attempt.c.quiz_id, score),
        )
    )
    op.execute(
        question_score_tally.insert().from_select(
            ["question_id", "score", "answered", "correct"],
            sa.select(_answer.c.question_id, score, sa.func.count(), right)
            .select_from(_answer.join(_attempt, _answer.c.attempt_id == _attempt.c.id))
            .where(finished_at_quiz)
            .group_by(_answer.c.question_id, score),
        )
    )
    # Whoever has finished a quiz of each element, and when first.
    op.execute(
        element_learner.insert().from_select(
            ["element_id", "user_id", "first_finished_at"],
            sa.select(_quiz.c.element_id, _attempt.c.user_id, sa.func.min(_attempt.c.submitted_at))
            .select_from(_attempt.join(_quiz, _attempt.c.quiz_id == _quiz.c.id))
            .where(_attempt.c.submitted_at.is_not(None))
            .group_by(_quiz.c.element_id, _attempt.c.user_id),
        )
    )

    # Misconceptions held and not cleared.
    op.execute(
        holding.insert().from_select(
            ["misconception_id", "holding"],
            sa.select(_held.c.misconception_id, sa.func.count())
            .where(_held.c.cleared_at.is_(None))
            .group_by(_held.c.misconception_id),
        )
    )


def downgrade():
    op.drop_table("misconception_tally")
    op.drop_index(op.f("ix_element_learner_user_id"), table_name="element_learner")
    op.drop_table("element_learner")
    op.drop_table("question_score_tally")
    op.drop_table("quiz_score_tally")
    op.drop_table("question_tally")
