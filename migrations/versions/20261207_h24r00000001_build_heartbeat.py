"""build_heartbeat: dossier.heartbeat_at and privacy_export.heartbeat_at (a background build's lease)

A build in "bezig" refreshes heartbeat_at while it runs; a row whose heartbeat is older than BUILD_STALE_SECONDS
belongs to a process that died and is built again by the worker. Nullable: rows from before fall back to their
created_at.

Revision ID: h24r00000001
Revises: h14000000001
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "h24r00000001"
down_revision: str | None = "h14000000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("dossier", "privacy_export"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ("dossier", "privacy_export"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("heartbeat_at")
