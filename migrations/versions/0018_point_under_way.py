"""point_under_way: the marking points in progress for each learner, kept beside point_met

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:00:00.000000

The cohort matrix's cells ("Met", "In progress", "Not started") were worked out, for each page
of learners, from their items' every latest attempt, claim and live decision: the costliest
part of the page at a centre's size (issue 12). The app now keeps the points in progress as it
keeps the met ones (portfolio/assessment/progress.py, in the same transactions). The upgrade
fills the table from what is there by the same rule, in one INSERT ... SELECT: not met, and an
item's latest attempt claims the point with no mark on it in the live decision, or the live
decision marks it not yet met, or marks it in a trainee's decision awaiting countersignature;
`awaiting` says whether it waits on an assessor or a countersignature (the learner's home page
tells that apart from "not yet met").
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The tables read, as they are at this revision.
_evidence = sa.table(
    "evidence",
    sa.column("id", sa.Integer()),
    sa.column("learner_id", sa.Integer()),
    sa.column("element_id", sa.String()),
)
_submission = sa.table(
    "submission",
    sa.column("id", sa.Integer()),
    sa.column("evidence_id", sa.Integer()),
    sa.column("number", sa.Integer()),
)
_claim = sa.table(
    "submission_claim",
    sa.column("submission_id", sa.Integer()),
    sa.column("marking_point_id", sa.String()),
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
_point_met = sa.table(
    "point_met",
    sa.column("learner_id", sa.Integer()),
    sa.column("element_id", sa.String()),
    sa.column("marking_point_id", sa.String()),
)


def _latest():
    newer = _submission.alias("newer")
    return ~(
        sa.select(newer.c.id)
        .where(
            newer.c.evidence_id == _submission.c.evidence_id,
            newer.c.number > _submission.c.number,
        )
        .exists()
    )


def _under_way():
    live_mark = (
        sa.select(_point_decision.c.decision_id)
        .select_from(
            _point_decision.join(_decision, _decision.c.id == _point_decision.c.decision_id)
        )
        .where(
            _decision.c.submission_id == _submission.c.id,
            _decision.c.superseded_at.is_(None),
            _point_decision.c.marking_point_id == _claim.c.marking_point_id,
        )
        .exists()
    )
    claimed = (
        sa.select(
            _evidence.c.learner_id,
            _evidence.c.element_id,
            _claim.c.marking_point_id,
            sa.literal(1, sa.Integer()).label("awaiting"),
        )
        .select_from(
            _evidence.join(_submission, _submission.c.evidence_id == _evidence.c.id).join(
                _claim, _claim.c.submission_id == _submission.c.id
            )
        )
        .where(_latest(), ~live_mark)
    )
    pending = sa.and_(
        _decision.c.needs_countersignature.is_(True), _decision.c.countersigned_at.is_(None)
    )
    marked = (
        sa.select(
            _evidence.c.learner_id,
            _evidence.c.element_id,
            _point_decision.c.marking_point_id,
            sa.case((pending, 1), else_=0).label("awaiting"),
        )
        .select_from(
            _evidence.join(_submission, _submission.c.evidence_id == _evidence.c.id)
            .join(_decision, _decision.c.submission_id == _submission.c.id)
            .join(_point_decision, _point_decision.c.decision_id == _decision.c.id)
        )
        .where(
            _latest(),
            _decision.c.superseded_at.is_(None),
            sa.or_(_point_decision.c.status == "not_yet_met", pending),
        )
    )
    found = sa.union_all(claimed, marked).subquery()
    grouped = (
        sa.select(
            found.c.learner_id,
            found.c.element_id,
            found.c.marking_point_id,
            sa.func.max(found.c.awaiting).label("awaiting"),
        )
        .group_by(found.c.learner_id, found.c.element_id, found.c.marking_point_id)
        .subquery()
    )
    return sa.select(
        grouped.c.learner_id,
        grouped.c.element_id,
        grouped.c.marking_point_id,
        grouped.c.awaiting == 1,
    ).where(
        ~sa.select(_point_met.c.learner_id)
        .where(
            _point_met.c.learner_id == grouped.c.learner_id,
            _point_met.c.element_id == grouped.c.element_id,
            _point_met.c.marking_point_id == grouped.c.marking_point_id,
        )
        .exists()
    )


def upgrade():
    under_way = op.create_table(
        "point_under_way",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("marking_point_id", sa.String(length=64), nullable=False),
        sa.Column("awaiting", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"], ["element.id"], name=op.f("fk_point_under_way_element_id_element")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["user_account.id"],
            name=op.f("fk_point_under_way_learner_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marking_point_id"],
            ["marking_point.id"],
            name=op.f("fk_point_under_way_marking_point_id_marking_point"),
        ),
        sa.PrimaryKeyConstraint(
            "learner_id", "element_id", "marking_point_id", name=op.f("pk_point_under_way")
        ),
    )
    op.execute(
        under_way.insert().from_select(
            ["learner_id", "element_id", "marking_point_id", "awaiting"], _under_way()
        )
    )


def downgrade():
    op.drop_table("point_under_way")
