"""self_assessment: the student's zelfbeoordeling per slot (append-only, bound into the audit chain)

Revision ID: h20s00000001
Revises: h20r00000001
Create Date: 2026-12-08 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "h20s00000001"
down_revision: str | None = "h20r00000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("eindterm_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("framework_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("framework_version", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("motivation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_self_assessment_student_id"), "self_assessment", ["student_id"], unique=False)
    op.create_index(op.f("ix_self_assessment_submission_id"), "self_assessment", ["submission_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_self_assessment_submission_id"), table_name="self_assessment")
    op.drop_index(op.f("ix_self_assessment_student_id"), table_name="self_assessment")
    op.drop_table("self_assessment")
