"""indexes for the pages of a centre: quiz analytics, the audit trail's filters, IQA sampling

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:40:00.000000

Each index serves one page's filter or join at 2,000 learners (issue 12); the audit trail's
single-column indexes give way to (column, id) pairs, so a filtered page reads newest first
straight from the index instead of sorting every match.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_LIVE = sa.text("superseded_at IS NULL")
_SUPERSEDED = sa.text("superseded_at IS NOT NULL")
_AWAITING = sa.text("countersigned_at IS NULL AND superseded_at IS NULL")


def _partial(where):
    return {"sqlite_where": where, "postgresql_where": where}


def upgrade():
    # Quiz analytics: facility per question, the 27% groups of a quiz's sittings, holders.
    op.create_index(
        "ix_answer_question_id_revision", "answer", ["question_id", "revision", "is_correct"]
    )
    op.create_index(
        "ix_attempt_quiz_id_submitted_at",
        "attempt",
        ["quiz_id", "submitted_at", "score", "user_id"],
    )
    op.create_index(
        "ix_held_misconception_misconception_id_cleared_at",
        "held_misconception",
        ["misconception_id", "cleared_at", "first_seen_at", "user_id"],
    )
    # The audit trail: each filter read newest first from its own index.
    for name in ("action", "actor_id", "at", "learner_id"):
        op.drop_index(f"ix_audit_entry_{name}", table_name="audit_entry")
    op.create_index("ix_audit_entry_action_id", "audit_entry", ["action", "id"])
    op.create_index("ix_audit_entry_actor_id_id", "audit_entry", ["actor_id", "id"])
    op.create_index("ix_audit_entry_at_id", "audit_entry", ["at", "id"])
    op.create_index("ix_audit_entry_learner_id_id", "audit_entry", ["learner_id", "id"])
    op.create_index("ix_audit_entry_subject", "audit_entry", ["subject_type", "subject_id", "id"])
    # IQA: decisions in a period by assessor, those awaiting countersignature, reopened ones.
    op.create_index("ix_decision_assessor_decided_at", "decision", ["assessor_id", "decided_at"])
    op.create_index(
        "ix_decision_awaiting_countersignature",
        "decision",
        ["needs_countersignature", "decided_at", "id"],
        **_partial(_AWAITING),
    )
    op.create_index(
        "ix_decision_live_decided_at",
        "decision",
        ["decided_at", "id", "assessor_id", "submission_id", "outcome"],
        **_partial(_LIVE),
    )
    op.create_index(
        "ix_decision_superseded_at", "decision", ["superseded_at"], **_partial(_SUPERSEDED)
    )
    op.create_index("ix_sample_created_at", "sample", ["created_at"])


def downgrade():
    op.drop_index("ix_sample_created_at", table_name="sample")
    for name in (
        "ix_decision_superseded_at",
        "ix_decision_live_decided_at",
        "ix_decision_awaiting_countersignature",
        "ix_decision_assessor_decided_at",
    ):
        op.drop_index(name, table_name="decision")
    for name in ("subject", "learner_id_id", "at_id", "actor_id_id", "action_id"):
        op.drop_index(f"ix_audit_entry_{name}", table_name="audit_entry")
    for name in ("learner_id", "at", "actor_id", "action"):
        op.create_index(f"ix_audit_entry_{name}", "audit_entry", [name])
    op.drop_index(
        "ix_held_misconception_misconception_id_cleared_at", table_name="held_misconception"
    )
    op.drop_index("ix_attempt_quiz_id_submitted_at", table_name="attempt")
    op.drop_index("ix_answer_question_id_revision", table_name="answer")
