"""indexes for an assessor's waiting items and a sample's verdict tallies

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:55:00.000000

An assessor's queue and home page read their learners' waiting items by (learner, status,
clock start) instead of scanning every waiting item in the centre; the IQA home's per-sample
tallies count verdicts from the index alone.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_evidence_learner_status", "evidence", ["learner_id", "status", "awaiting_since"]
    )
    op.create_index("ix_sample_item_sample_id_verdict", "sample_item", ["sample_id", "verdict"])


def downgrade():
    op.drop_index("ix_sample_item_sample_id_verdict", table_name="sample_item")
    op.drop_index("ix_evidence_learner_status", table_name="evidence")
