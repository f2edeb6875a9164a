"""performance: indexes for the cohort views

Revision ID: b9a1c0de0003
Revises: b9a1c0de0002
Create Date: 2026-11-25 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision: str = 'b9a1c0de0003'
down_revision: str | None = 'b9a1c0de0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_slot_progress",
            [
                "student_id",
                "framework_id",
                "framework_version",
                "status",
                "score",
                "eindterm_code",
                "last_activity_at",
            ],
            unique=False,
        )
        batch_op.create_index("ix_slot_submission_id", ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("slot", schema=None) as batch_op:
        batch_op.drop_index("ix_slot_submission_id")
        batch_op.drop_index("ix_slot_progress")
