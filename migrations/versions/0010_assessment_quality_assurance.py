"""assessment and quality assurance: not-applicable marks, reopened and countersigned
decisions, comment bank, element sign-off, sampling plans, samples

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

POINT_STATUS = ("met", "not_yet_met", "not_applicable")


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade():
    with op.batch_alter_table("point_decision") as b:
        b.alter_column(
            "status",
            existing_type=_enum("pointstatus", "met", "not_yet_met"),
            type_=_enum("pointstatus", *POINT_STATUS),
            existing_nullable=False,
        )
    with op.batch_alter_table("decision") as b:
        b.drop_constraint("uq_decision_submission_id", type_="unique")
        b.add_column(sa.Column("superseded_at", sa.DateTime(), nullable=True))
        b.add_column(
            sa.Column(
                "needs_countersignature", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        b.add_column(sa.Column("countersigned_by_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("countersigned_at", sa.DateTime(), nullable=True))
        b.create_foreign_key(
            op.f("fk_decision_countersigned_by_id_user_account"),
            "user_account",
            ["countersigned_by_id"],
            ["id"],
        )
    op.create_index(
        "uq_decision_live_submission",
        "decision",
        ["submission_id"],
        unique=True,
        sqlite_where=sa.text("superseded_at IS NULL"),
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "comment_bank_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("marking_point_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_comment_bank_entry_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["marking_point_id"],
            ["marking_point.id"],
            name=op.f("fk_comment_bank_entry_marking_point_id_marking_point"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_bank_entry")),
    )
    op.create_index(
        op.f("ix_comment_bank_entry_marking_point_id"), "comment_bank_entry", ["marking_point_id"]
    )
    op.create_table(
        "element_sign_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version", sa.Integer(), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["user_account.id"],
            name=op.f("fk_element_sign_off_assessor_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["element_id"], ["element.id"], name=op.f("fk_element_sign_off_element_id_element")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_element_sign_off_learner_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_element_sign_off")),
        sa.UniqueConstraint(
            "learner_id", "element_id", name=op.f("uq_element_sign_off_learner_id")
        ),
    )
    op.create_index(op.f("ix_element_sign_off_learner_id"), "element_sign_off", ["learner_id"])
    op.create_table(
        "sampling_plan",
        sa.Column("assessor_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("assessorstatus", "qualified", "new", "trainee"), nullable=False),
        sa.Column("percentage", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "percentage BETWEEN 0 AND 100", name=op.f("ck_sampling_plan_percentage_range")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["user_account.id"],
            name=op.f("fk_sampling_plan_assessor_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_sampling_plan_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("assessor_id", name=op.f("pk_sampling_plan")),
    )
    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iqa_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["iqa_id"], ["user_account.id"], name=op.f("fk_sample_iqa_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample")),
    )
    op.create_index(op.f("ix_sample_iqa_id"), "sample", ["iqa_id"])
    op.create_table(
        "sample_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("verdict", _enum("verdict", "agree", "disagree"), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict <> 'disagree' OR length(feedback) > 0",
            name=op.f("ck_sample_item_disagreement_has_feedback"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decision.id"], name=op.f("fk_sample_item_decision_id_decision")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_sample_item_sample_id_sample")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_item")),
        sa.UniqueConstraint("sample_id", "decision_id", name=op.f("uq_sample_item_sample_id")),
    )
    op.create_index(op.f("ix_sample_item_decision_id"), "sample_item", ["decision_id"])
    op.create_index(op.f("ix_sample_item_sample_id"), "sample_item", ["sample_id"])


def downgrade():
    raise NotImplementedError("restore a backup to go back before 0010")
