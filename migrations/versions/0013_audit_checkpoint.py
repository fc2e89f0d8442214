"""audit checkpoint: how far the hash chain is known intact, and the last full check

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("checked_by", sa.String(length=80), nullable=False),
        sa.Column("full_at", sa.DateTime(), nullable=True),
        sa.Column("full_by", sa.String(length=80), nullable=False),
        sa.Column("full_entries", sa.Integer(), nullable=False),
        sa.Column("broken_id", sa.Integer(), nullable=True),
        sa.Column("broken_reason", sa.String(length=200), nullable=False),
        sa.Column("broken_at", sa.DateTime(), nullable=True),
        sa.Column("broken_by", sa.String(length=80), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_checkpoint_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )


def downgrade():
    op.drop_table("audit_checkpoint")
