"""ix_user_account_name_id: people listed by name

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:35:00.000000

The admin users list, the cohort page's learners and the filters' choices of assessors page
people by (name, id); without an index each page sorted every user (issue 12).
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_user_account_name_id", "user_account", ["name", "id"])


def downgrade():
    op.drop_index("ix_user_account_name_id", table_name="user_account")
