"""question types, question revisions, attempt modes, spaced review

Questions keep what they ask as a definition (the quiz file's format) with every saved
state in question_revision; answers store a response and the misconceptions it revealed
instead of an option id; attempts have a mode and a layout; held misconceptions get a
review schedule. Existing single-answer questions, attempts and answers are carried over.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:10:00.000000

"""

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


STATUS = ("draft", "published", "archived")
KIND = ("single", "multiple", "true_false", "order", "classify")
MODE = ("practice", "test", "review")

option = sa.table(
    "option",
    sa.column("id", sa.String),
    sa.column("question_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("is_correct", sa.Boolean),
    sa.column("explanation", sa.Text),
    sa.column("misconception_id", sa.String),
)
question = sa.table(
    "question",
    sa.column("id", sa.String),
    sa.column("quiz_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("stem", sa.Text),
    sa.column("definition", sa.JSON),
    sa.column("updated_at", sa.DateTime),
)
question_revision = sa.table(
    "question_revision",
    sa.column("question_id", sa.String),
    sa.column("number", sa.Integer),
    sa.column("definition", sa.JSON),
    sa.column("status", sa.String),
    sa.column("author_id", sa.Integer),
    sa.column("note", sa.String),
    sa.column("created_at", sa.DateTime),
)
question_misconception = sa.table(
    "question_misconception",
    sa.column("question_id", sa.String),
    sa.column("misconception_id", sa.String),
)
attempt = sa.table(
    "attempt",
    sa.column("id", sa.Integer),
    sa.column("quiz_id", sa.String),
    sa.column("option_order", sa.Text),
    sa.column("layout", sa.JSON),
    sa.column("started_at", sa.DateTime),
    sa.column("submitted_at", sa.DateTime),
)
answer = sa.table(
    "answer",
    sa.column("id", sa.Integer),
    sa.column("attempt_id", sa.Integer),
    sa.column("option_id", sa.String),
    sa.column("is_correct", sa.Boolean),
    sa.column("response", sa.JSON),
    sa.column("revealed", sa.JSON),
    sa.column("answered_at", sa.DateTime),
)
held = sa.table(
    "held_misconception",
    sa.column("user_id", sa.Integer),
    sa.column("misconception_id", sa.String),
    sa.column("last_option_id", sa.String),
    sa.column("last_seen_at", sa.DateTime),
    sa.column("cleared_at", sa.DateTime),
    sa.column("last_explanation", sa.Text),
    sa.column("last_question_id", sa.String),
    sa.column("due_at", sa.DateTime),
)


def _local(full_id):
    return full_id.rsplit(".", 1)[1]


def upgrade():
    op.create_table(
        "question_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", _enum("questionstatus", *STATUS), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_question_revision_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_revision_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_revision")),
        sa.UniqueConstraint("question_id", "number", name=op.f("uq_question_revision_question_id")),
    )
    op.create_index(op.f("ix_question_revision_question_id"), "question_revision", ["question_id"])
    op.create_table(
        "question_misconception",
        sa.Column("question_id", sa.String(length=128), nullable=False),
        sa.Column("misconception_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["misconception_id"],
            ["misconception.id"],
            name=op.f("fk_question_misconception_misconception_id_misconception"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_misconception_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "question_id", "misconception_id", name=op.f("pk_question_misconception")
        ),
    )
    with op.batch_alter_table("question") as b:
        b.add_column(
            sa.Column("kind", _enum("questionkind", *KIND), nullable=False, server_default="single")
        )
        b.add_column(sa.Column("definition", sa.JSON(), nullable=True))
        b.add_column(
            sa.Column(
                "status",
                _enum("questionstatus", *STATUS),
                nullable=False,
                server_default="published",
            )
        )
        b.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        b.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        b.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("attempt") as b:
        b.add_column(
            sa.Column("mode", _enum("attemptmode", *MODE), nullable=False, server_default="test")
        )
        b.add_column(sa.Column("layout", sa.JSON(), nullable=True))
        b.alter_column("quiz_id", existing_type=sa.String(length=128), nullable=True)
        b.alter_column("quiz_version", existing_type=sa.Integer(), nullable=True)
        b.create_check_constraint("quiz_unless_review", "mode = 'review' OR quiz_id IS NOT NULL")
    with op.batch_alter_table("answer") as b:
        b.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        b.add_column(sa.Column("response", sa.JSON(), nullable=True))
        b.add_column(sa.Column("revealed", sa.JSON(), nullable=True))
        b.add_column(sa.Column("answered_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("held_misconception") as b:
        b.add_column(sa.Column("last_explanation", sa.Text(), nullable=False, server_default=""))
        b.add_column(sa.Column("last_question_id", sa.String(length=128), nullable=True))
        b.add_column(sa.Column("box", sa.Integer(), nullable=False, server_default="1"))
        b.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        b.create_foreign_key(
            op.f("fk_held_misconception_last_question_id_question"),
            "question",
            ["last_question_id"],
            ["id"],
        )
        b.create_index(op.f("ix_held_misconception_due_at"), ["due_at"])

    _carry_over(op.get_bind())

    with op.batch_alter_table("question") as b:
        b.alter_column("definition", existing_type=sa.JSON(), nullable=False)
        b.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
    with op.batch_alter_table("attempt") as b:
        b.alter_column("layout", existing_type=sa.JSON(), nullable=False)
        b.drop_column("option_order")
    with op.batch_alter_table("answer") as b:
        b.alter_column("response", existing_type=sa.JSON(), nullable=False)
        b.alter_column("revealed", existing_type=sa.JSON(), nullable=False)
        b.alter_column("answered_at", existing_type=sa.DateTime(), nullable=False)
        b.drop_constraint("fk_answer_option_id_option", type_="foreignkey")
        b.drop_column("option_id")
    with op.batch_alter_table("held_misconception") as b:
        b.drop_constraint("fk_held_misconception_last_option_id_option", type_="foreignkey")
        b.drop_column("last_option_id")
    op.drop_index("ix_option_question_id", table_name="option")
    op.drop_table("option")


def _carry_over(conn):
    """Single-answer questions become definitions; option ids in attempts and answers
    become responses in the question's own ids."""
    now = datetime.now(UTC).replace(tzinfo=None)
    options = {}
    for row in conn.execute(sa.select(option).order_by(option.c.question_id, option.c.position)):
        options.setdefault(row.question_id, []).append(row)
    by_id = {o.id: o for rows in options.values() for o in rows}
    for q in conn.execute(sa.select(question)).all():
        rows = options.get(q.id, [])
        definition = {
            "id": _local(q.id),
            "type": "single",
            "stem": q.stem,
            # Marking points were not stored before; the next `portfolio init` brings them
            # back from the quiz file as a new revision.
            "marking_points": [],
            "options": [
                {
                    "id": _local(o.id),
                    "text": o.text,
                    **({"correct": True} if o.is_correct else {}),
                    **({"misconception": o.misconception_id} if o.misconception_id else {}),
                    "explanation": o.explanation,
                }
                for o in rows
            ],
        }
        conn.execute(
            question.update()
            .where(question.c.id == q.id)
            .values(definition=definition, updated_at=now)
        )
        conn.execute(
            question_revision.insert().values(
                question_id=q.id,
                number=1,
                definition=definition,
                status="published",
                author_id=None,
                note="Carried over from the single-answer bank",
                created_at=now,
            )
        )
        for mid in sorted({o.misconception_id for o in rows if o.misconception_id}):
            conn.execute(
                question_misconception.insert().values(question_id=q.id, misconception_id=mid)
            )
    positions = {q.id: (q.quiz_id, q.position) for q in conn.execute(sa.select(question)).all()}
    for a in conn.execute(sa.select(attempt)).all():
        order = json.loads(a.option_order or "{}")
        qids = sorted(order, key=lambda qid: positions.get(qid, ("", 0))[1])
        layout = [
            {"question": qid, "revision": 1, "order": [_local(o) for o in order[qid]]}
            for qid in qids
            if qid in positions
        ]
        conn.execute(attempt.update().where(attempt.c.id == a.id).values(layout=layout))
        for ans in conn.execute(sa.select(answer).where(answer.c.attempt_id == a.id)).all():
            chosen = by_id[ans.option_id]
            revealed = (
                [chosen.misconception_id] if chosen.misconception_id and not ans.is_correct else []
            )
            conn.execute(
                answer.update()
                .where(answer.c.id == ans.id)
                .values(
                    response={"choice": _local(chosen.id)},
                    revealed=revealed,
                    answered_at=a.submitted_at or a.started_at,
                )
            )
    for h in conn.execute(sa.select(held)).all():
        chosen = by_id.get(h.last_option_id)
        conn.execute(
            held.update()
            .where(held.c.user_id == h.user_id, held.c.misconception_id == h.misconception_id)
            .values(
                last_explanation=chosen.explanation if chosen else "",
                last_question_id=chosen.question_id if chosen else None,
                due_at=None if h.cleared_at else h.last_seen_at + timedelta(days=1),
            )
        )


def downgrade():
    raise NotImplementedError(
        "0007 folds option rows into question definitions; restore a backup to go back"
    )
