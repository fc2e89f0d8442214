"""element_group_tally, misconception_group_tally: the quiz heatmap's counts by learner group, kept

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 18:00:00.000000

The tutors' heatmap of misconceptions by learner group counted every holder and their group on
each view (about 20 ms at 2,000 learners). The app now keeps the counts (portfolio/quizzes/
group_tally.py, in the transaction of each change to them): in each group, those who have
finished a quiz of each element, and those who hold each misconception (not cleared) with how
many of them have not finished a quiz of its element. A user's group is their group while they
are a learner, else none, kept as the key 0 (a key column cannot be NULL; no group has id 0).
The upgrade counts them from the rows there are, in set-based SQL: one INSERT ... SELECT a
table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

NO_GROUP_KEY = 0

# The tables read, as they are at this revision.
_user = sa.table(
    "user_account", sa.column("id", sa.Integer()), sa.column("cohort_id", sa.Integer())
)
_role = sa.table("user_role", sa.column("user_id", sa.Integer()), sa.column("role", sa.String()))
_element_learner = sa.table(
    "element_learner", sa.column("element_id", sa.String()), sa.column("user_id", sa.Integer())
)
_held = sa.table(
    "held_misconception",
    sa.column("user_id", sa.Integer()),
    sa.column("misconception_id", sa.String()),
    sa.column("cleared_at", sa.DateTime()),
)
_misconception = sa.table(
    "misconception", sa.column("id", sa.String()), sa.column("element_id", sa.String())
)


def _with_group(source, user_id):
    """The rows joined to their user and learner role, and the user's group key."""
    learner = _role.alias("learner")
    joined = source.join(_user, _user.c.id == user_id).outerjoin(
        learner, sa.and_(learner.c.user_id == user_id, learner.c.role == "learner")
    )
    key = sa.case(
        (learner.c.user_id.is_not(None), sa.func.coalesce(_user.c.cohort_id, NO_GROUP_KEY)),
        else_=NO_GROUP_KEY,
    )
    return joined, key


def upgrade():
    element_group_tally = op.create_table(
        "element_group_tally",
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("cohort_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"], ["element.id"], name=op.f("fk_element_group_tally_element_id_element")
        ),
        sa.PrimaryKeyConstraint("element_id", "cohort_key", name=op.f("pk_element_group_tally")),
    )
    misconception_group_tally = op.create_table(
        "misconception_group_tally",
        sa.Column("misconception_id", sa.String(length=64), nullable=False),
        sa.Column("cohort_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("element_id", sa.String(length=64), nullable=False),
        sa.Column("holders", sa.Integer(), nullable=False),
        sa.Column("not_finished", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["misconception_id"],
            ["misconception.id"],
            name=op.f("fk_misconception_group_tally_misconception_id_misconception"),
        ),
        sa.PrimaryKeyConstraint(
            "misconception_id", "cohort_key", name=op.f("pk_misconception_group_tally")
        ),
    )
    # Those who have finished a quiz of each element, by group.
    joined, key = _with_group(_element_learner, _element_learner.c.user_id)
    op.execute(
        element_group_tally.insert().from_select(
            ["element_id", "cohort_key", "learners"],
            sa.select(_element_learner.c.element_id, key, sa.func.count())
            .select_from(joined)
            .group_by(_element_learner.c.element_id, key),
        )
    )
    # Holders of each misconception by group, and those of them who have not finished a quiz
    # of its element.
    finished = _element_learner.alias("finished")
    source = _held.join(_misconception, _misconception.c.id == _held.c.misconception_id).outerjoin(
        finished,
        sa.and_(
            finished.c.element_id == _misconception.c.element_id,
            finished.c.user_id == _held.c.user_id,
        ),
    )
    joined, key = _with_group(source, _held.c.user_id)
    op.execute(
        misconception_group_tally.insert().from_select(
            ["misconception_id", "cohort_key", "element_id", "holders", "not_finished"],
            sa.select(
                _held.c.misconception_id,
                key,
                _misconception.c.element_id,
                sa.func.count(),
                sa.func.count() - sa.func.count(finished.c.user_id),
            )
            .select_from(joined)
            .where(_held.c.cleared_at.is_(None))
            .group_by(_held.c.misconception_id, key, _misconception.c.element_id),
        )
    )


def downgrade():
    op.drop_table("misconception_group_tally")
    op.drop_table("element_group_tally")
