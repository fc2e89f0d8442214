"""export jobs: portfolio PDFs and cohort ZIPs made in the background

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 06:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade():
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("jobkind", "portfolio", "cohort"), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=40), nullable=True),
        sa.Column("eqa", sa.Boolean(), nullable=False),
        sa.Column("pdfa", sa.Boolean(), nullable=False),
        sa.Column(
            "status", _enum("jobstatus", "queued", "running", "done", "failed"), nullable=False
        ),
        sa.Column("stage", sa.String(length=120), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.Column("download_name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("from_cache", sa.Boolean(), nullable=False),
        sa.Column("runner", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_export_job_requested_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["user_account.id"], name=op.f("fk_export_job_learner_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_export_job_cohort_id_cohort"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["export_job.id"], name=op.f("fk_export_job_parent_id_export_job")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index(op.f("ix_export_job_requested_by_id"), "export_job", ["requested_by_id"])
    op.create_index(op.f("ix_export_job_learner_id"), "export_job", ["learner_id"])
    op.create_index(op.f("ix_export_job_parent_id"), "export_job", ["parent_id"])


def downgrade():
    op.drop_table("export_job")
