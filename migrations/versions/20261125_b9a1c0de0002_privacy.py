"""privacy: access log, exports, retention and erasure

Revision ID: b9a1c0de0002
Revises: b9a1c0de0001
Create Date: 2026-11-25 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b9a1c0de0002"
down_revision: str | None = "b9a1c0de0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("viewer_roles", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("via_link", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"], ["user_account.id"], name=op.f("fk_access_event_student_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["user_account.id"], name=op.f("fk_access_event_viewer_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_event")),
    )
    with op.batch_alter_table("access_event", schema=None) as batch_op:
        batch_op.create_index("ix_access_event_student_at", ["student_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_event_viewer_id"), ["viewer_id"], unique=False)

    op.create_table(
        "privacy_export",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("zip_key", sa.String(length=32), nullable=True),
        sa.Column("zip_size", sa.Integer(), nullable=True),
        sa.Column("zip_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user_account.id"], name=op.f("fk_privacy_export_requested_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["user_account.id"], name=op.f("fk_privacy_export_subject_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_export")),
    )
    with op.batch_alter_table("privacy_export", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_export_requested_by_id"), ["requested_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_export_subject_id"), ["subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_export", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_export_subject_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_export_requested_by_id"))
    op.drop_table("privacy_export")
    with op.batch_alter_table("access_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_event_viewer_id"))
        batch_op.drop_index(batch_op.f("ix_access_event_at"))
        batch_op.drop_index("ix_access_event_student_at")
    op.drop_table("access_event")
