"""evidence attachments, dismissed check flags, check results on submissions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_attachment_evidence_id_evidence")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_attachment_learner_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_attachment_stored_name")),
    )
    op.create_index(op.f("ix_attachment_evidence_id"), "attachment", ["evidence_id"])
    op.create_index(op.f("ix_attachment_learner_id"), "attachment", ["learner_id"])
    op.create_table(
        "submission_attachment",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_submission_attachment_attachment_id_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_attachment_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "submission_id", "attachment_id", name=op.f("pk_submission_attachment")
        ),
    )
    with op.batch_alter_table("evidence") as b:
        b.add_column(
            sa.Column("dismissals", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("submission") as b:
        b.add_column(sa.Column("checks", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table("submission") as b:
        b.drop_column("checks")
    with op.batch_alter_table("evidence") as b:
        b.drop_column("dismissals")
    op.drop_table("submission_attachment")
    op.drop_index(op.f("ix_attachment_learner_id"), table_name="attachment")
    op.drop_index(op.f("ix_attachment_evidence_id"), table_name="attachment")
    op.drop_table("attachment")
