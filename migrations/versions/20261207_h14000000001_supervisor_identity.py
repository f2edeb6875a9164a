"""supervisor_identity: user_account.identity_confirmed_at (a praktijkbegeleider confirms once per person)

A link user confirmed their name and function per link until now; the earliest confirmation of any of their
links becomes the person's. supervisor_link.confirmed_at stays: it tells through which link they confirmed.

Revision ID: h14000000001
Revises: h13a00000001
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "h14000000001"
down_revision: str | None = "h13a00000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE user_account SET identity_confirmed_at = ("
        "SELECT min(confirmed_at) FROM supervisor_link WHERE supervisor_link.supervisor_id = user_account.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("identity_confirmed_at")
