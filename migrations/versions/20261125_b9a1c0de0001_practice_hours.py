"""practice hours log and approvals

Revision ID: b9a1c0de0001
Revises: 3adc79a14ba2
Create Date: 2026-11-25 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'b9a1c0de0001'
down_revision: str | None = '3adc79a14ba2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'practice_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('work_date', sa.Date(), nullable=False),
        sa.Column('hours', sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column('activity', sa.Text(), nullable=False),
        sa.Column('workplace', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('eindterm_codes', sa.JSON(), nullable=False),
        sa.Column('client_codes', sa.JSON(), nullable=False),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('supervisor_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['replaces_id'], ['practice_hours.id'], name=op.f('fk_practice_hours_replaces_id_practice_hours')
        ),
        sa.ForeignKeyConstraint(
            ['student_id'], ['user_account.id'], name=op.f('fk_practice_hours_student_id_user_account')
        ),
        sa.ForeignKeyConstraint(
            ['supervisor_id'], ['user_account.id'], name=op.f('fk_practice_hours_supervisor_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_hours')),
        sa.UniqueConstraint('replaces_id', name=op.f('uq_practice_hours_replaces_id')),
    )
    with op.batch_alter_table('practice_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_hours_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_hours_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_hours_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_hours_work_date'), ['work_date'], unique=False)

    op.create_table(
        'hours_decision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('confirmed', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('decided_by_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('decided_by_function', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('via_link_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['decided_by_id'], ['user_account.id'], name=op.f('fk_hours_decision_decided_by_id_user_account')
        ),
        sa.ForeignKeyConstraint(
            ['entry_id'], ['practice_hours.id'], name=op.f('fk_hours_decision_entry_id_practice_hours')
        ),
        sa.ForeignKeyConstraint(
            ['student_id'], ['user_account.id'], name=op.f('fk_hours_decision_student_id_user_account')
        ),
        sa.ForeignKeyConstraint(
            ['via_link_id'], ['supervisor_link.id'], name=op.f('fk_hours_decision_via_link_id_supervisor_link')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_decision')),
        sa.UniqueConstraint('entry_id', name=op.f('uq_hours_decision_entry_id')),
    )
    with op.batch_alter_table('hours_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_decision_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hours_decision_student_id'), ['student_id'], unique=False)

    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minimum_practice_hours', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programme', schema=None) as batch_op:
        batch_op.drop_column('minimum_practice_hours')

    with op.batch_alter_table('hours_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_decision_student_id'))
        batch_op.drop_index(batch_op.f('ix_hours_decision_decided_by_id'))
    op.drop_table('hours_decision')

    with op.batch_alter_table('practice_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_hours_work_date'))
        batch_op.drop_index(batch_op.f('ix_practice_hours_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_practice_hours_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_practice_hours_student_id'))
    op.drop_table('practice_hours')
