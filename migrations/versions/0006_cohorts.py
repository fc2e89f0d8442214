"""cohorts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("name", name=op.f("uq_cohort_name")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cohort_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_account_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_cohort_id_cohort"),
            "cohort",
            ["cohort_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_user_account_cohort_id_cohort"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_user_account_cohort_id"))
        batch_op.drop_column("cohort_id")

    op.drop_table("cohort")
