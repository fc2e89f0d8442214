"""page images

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 05:33:16.525075

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Images tutors upload for revision pages. The bytes live under <instance>/uploads/images,
    # named by stored_name; this table is the only way to reach them.
    op.create_table(
        "page_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("mimetype", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("alt", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("alt <> ''", name=op.f("ck_page_image_alt_not_empty")),
        sa.CheckConstraint(
            "mimetype IN ('image/png', 'image/jpeg')", name=op.f("ck_page_image_known_mimetype")
        ),
        sa.CheckConstraint(
            "size > 0 AND width > 0 AND height > 0", name=op.f("ck_page_image_positive_size")
        ),
        sa.ForeignKeyConstraint(
            ["page_id"], ["page.id"], name=op.f("fk_page_image_page_id_page"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_page_image_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_image")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_page_image_stored_name")),
    )
    # Listing a page's images, and the cascade when a page is deleted.
    with op.batch_alter_table("page_image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_image_page_id"), ["page_id"], unique=False)


def downgrade():
    # The uploaded files stay on disk under <instance>/uploads/images: delete them by hand if
    # the feature is really gone.
    with op.batch_alter_table("page_image", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_image_page_id"))

    op.drop_table("page_image")
