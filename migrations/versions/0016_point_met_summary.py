"""point_met: the marking points each learner has met, kept for the cohort totals

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 13:30:00.000000

The app rewrites a learner's rows for an element in the transaction of every change that can
alter them (portfolio/assessment/progress.py: a decision, an IQA reopening it, a
countersignature, a new attempt), so the cohort page's totals count a few rows a learner
instead of every decision of the centre (issue 12). The upgrade fills the table from the
decisions already there, in one INSERT ... SELECT, by the same rule: a point is met when a
standing decision (not superseded; a trainee's only once countersigned) on an accepted or
referred item's latest attempt marks it met.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# The tables read, as they are at this revision.
_evidence = sa.table(
    "evidence",
    sa.column("id", sa.Integer()),
    sa.column("learner_id", sa.Integer()),
    sa.column("element_id", sa.String()),
    sa.column("status", sa.String()),
)
_submission = sa.table(
    "submission",
    sa.column("id", sa.Integer()),
    sa.column("evidence_id", sa.Integer()),
    sa.column("number", sa.Integer()),
)
_decision = sa.table(
    "decision",
    sa.column("id", sa.Integer()),
    sa.column("submission_id", sa.Integer()),
    sa.column("superseded_at", sa.DateTime()),
    sa.column("needs_countersignature", sa.Boolean()),
    sa.column("countersigned_at", sa.DateTime()),
)
_point_decision = sa.table(
    "point_decision",
    sa.column("decision_id", sa.Integer()),
    sa.column("marking_point_id", sa.String()),
    sa.column("status", sa.String()),
)


def upgrade():
    point_met = op.create_table(
        "point_met",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("marking_point_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"], ["element.id"], name=op.f("fk_point_met_element_id_element")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_point_met_learner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marking_point_id"],
            ["marking_point.id"],
            name=op.f("fk_point_met_marking_point_id_marking_point"),
        ),
        sa.PrimaryKeyConstraint(
            "learner_id", "element_id", "marking_point_id", name=op.f("pk_point_met")
        ),
    )
    newer = _submission.alias("newer")
    op.execute(
        point_met.insert().from_select(
            ["learner_id", "element_id", "marking_point_id"],
            sa.select(
                _evidence.c.learner_id, _evidence.c.element_id, _point_decision.c.marking_point_id
            )
            .select_from(
                _evidence.join(_submission, _submission.c.evidence_id == _evidence.c.id)
                .join(_decision, _decision.c.submission_id == _submission.c.id)
                .join(_point_decision, _point_decision.c.decision_id == _decision.c.id)
            )
            .where(
                _evidence.c.status.in_(["accepted", "referred"]),
                ~sa.select(newer.c.id)
                .where(
                    newer.c.evidence_id == _submission.c.evidence_id,
                    newer.c.number > _submission.c.number,
                )
                .exists(),
                _decision.c.superseded_at.is_(None),
                sa.or_(
                    _decision.c.needs_countersignature.is_(False),
                    _decision.c.countersigned_at.is_not(None),
                ),
                _point_decision.c.status == "met",
            )
            .distinct(),
        )
    )


def downgrade():
    op.drop_table("point_met")
