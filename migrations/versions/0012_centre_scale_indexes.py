"""a centre, not a class: the turnaround clock kept on the evidence row, and indexes for the
caseload, overdue list and cohort tracking

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:45:00.000000

`evidence.awaiting_since` is when the clock of the decision an item waits for started: its
latest submission, or the IQA reopening the decision on it, whichever is later; NULL while
nothing is awaited. The due date is not stored: it is worked out from this instant, the
turnaround setting and content/calendar.yaml when a page is read, so "overdue" is one indexed
comparison (`awaiting_since < cutoff`) and a holiday added to the calendar, or a new
PORTFOLIO_TURNAROUND_DAYS, applies to items already waiting. The backfill is therefore plain
SQL: no working-day arithmetic is needed here.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The latest submission of each item waiting for a decision, and the latest reopening of a
# decision on it (reopening is only ever done on the latest submission).
_BACKFILL = """
UPDATE evidence SET awaiting_since = (
    SELECT COALESCE(MAX(decision.superseded_at), submission.submitted_at)
    FROM submission
    LEFT JOIN decision
        ON decision.submission_id = submission.id AND decision.superseded_at IS NOT NULL
    WHERE submission.evidence_id = evidence.id
      AND submission.number = (
          SELECT MAX(latest.number) FROM submission AS latest
          WHERE latest.evidence_id = evidence.id
      )
    GROUP BY submission.id, submission.submitted_at
)
WHERE status = 'submitted'
"""


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_since", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_evidence_status_awaiting_since", ["status", "awaiting_since"], unique=False
        )
    op.execute(_BACKFILL)
    with op.batch_alter_table("decision", schema=None) as batch_op:
        # Reopened (superseded) decisions of a page of submissions: the live ones have their
        # own partial unique index, which a query for superseded ones cannot use.
        batch_op.create_index(
            batch_op.f("ix_decision_submission_id"), ["submission_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_submission_id"))
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_status_awaiting_since")
        batch_op.drop_column("awaiting_since")
