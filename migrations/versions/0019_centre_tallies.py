"""point_tally, element_tally, tally_state: the whole centre's cohort totals, kept

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:30:00.000000

The cohort page for every learner counted every learner's met points on each view (about
20,000 rows at 2,000 learners). The app now keeps the counts (portfolio/assessment/
centre_tally.py, in the transaction of each change to point_met). The upgrade counts them from
point_met by the same rule: learners who met each point; learners by how many of an element's
live points they have met, stamped with those live points.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_point_met = sa.table(
    "point_met",
    sa.column("learner_id", sa.Integer()),
    sa.column("element_id", sa.String()),
    sa.column("marking_point_id", sa.String()),
)
_marking_point = sa.table(
    "marking_point",
    sa.column("id", sa.String()),
    sa.column("retired", sa.Boolean()),
)


def upgrade():
    point_tally = op.create_table(
        "point_tally",
        sa.Column("marking_point_id", sa.String(length=64), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["marking_point_id"],
            ["marking_point.id"],
            name=op.f("fk_point_tally_marking_point_id_marking_point"),
        ),
        sa.PrimaryKeyConstraint("marking_point_id", name=op.f("pk_point_tally")),
    )
    element_tally = op.create_table(
        "element_tally",
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("met", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"], ["element.id"], name=op.f("fk_element_tally_element_id_element")
        ),
        sa.PrimaryKeyConstraint("element_id", "met", name=op.f("pk_element_tally")),
    )
    tally_state = op.create_table(
        "tally_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("live_points", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tally_state")),
    )
    live = sorted(
        op.get_bind().scalars(
            sa.select(_marking_point.c.id).where(_marking_point.c.retired.is_(False))
        )
    )
    op.execute(
        point_tally.insert().from_select(
            ["marking_point_id", "learners"],
            sa.select(_point_met.c.marking_point_id, sa.func.count()).group_by(
                _point_met.c.marking_point_id
            ),
        )
    )
    per_learner = (
        sa.select(
            _point_met.c.element_id,
            sa.func.sum(sa.case((_point_met.c.marking_point_id.in_(live), 1), else_=0)).label(
                "met"
            ),
        )
        .group_by(_point_met.c.learner_id, _point_met.c.element_id)
        .subquery()
    )
    op.execute(
        element_tally.insert().from_select(
            ["element_id", "met", "learners"],
            sa.select(per_learner.c.element_id, per_learner.c.met, sa.func.count())
            .where(per_learner.c.met > 0)
            .group_by(per_learner.c.element_id, per_learner.c.met),
        )
    )
    op.bulk_insert(tally_state, [{"name": "centre", "live_points": ",".join(live)}])


def downgrade():
    op.drop_table("tally_state")
    op.drop_table("element_tally")
    op.drop_table("point_tally")
