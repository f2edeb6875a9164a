"""hours_reminders: one reminder and one escalation per submitted praktijkuren entry

Revision ID: h21000000001
Revises: c15a00000005
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'h21000000001'
down_revision: str | None = 'c15a00000005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hours_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['practice_hours.id'], name=op.f('fk_hours_reminder_entry_id_practice_hours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_reminder')),
    sa.UniqueConstraint('entry_id', 'kind', name=op.f('uq_hours_reminder_entry_id_kind'))
    )
    with op.batch_alter_table('hours_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_reminder_entry_id'), ['entry_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hours_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_reminder_entry_id'))
    op.drop_table('hours_reminder')
