"""supervisor assignments: proposals, coordinator approval, sign-offs under an assignment

Revision ID: c15a00000001
Revises: b9a1c0de0005
Create Date: 2026-12-06 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision: str = 'c15a00000001'
down_revision: str | None = 'b9a1c0de0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
