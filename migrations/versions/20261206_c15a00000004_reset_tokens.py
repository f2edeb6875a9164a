"""reset_tokens: blob.active_content (PDFs with scripts or automatic actions are served as download only)

Existing PDFs stay NULL: app.evidence.pdfactive scans them on first use and keeps the answer.

Revision ID: c15a00000004
Revises: c15a00000003
Create Date: 2026-12-06 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision: str = 'c15a00000004'
down_revision: str | None = 'c15a00000003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('blob', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active_content', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('blob', schema=None) as batch_op:
        batch_op.drop_column('active_content')
