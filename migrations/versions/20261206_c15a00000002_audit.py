"""audit: a reserved slot, left empty (the keyed head and the decision binding landed in c15a00000005)

Revision ID: c15a00000002
Revises: c15a00000001
Create Date: 2026-12-06 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision: str = 'c15a00000002'
down_revision: str | None = 'c15a00000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
