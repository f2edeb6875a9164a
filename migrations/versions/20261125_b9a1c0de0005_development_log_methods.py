"""beroepsprofiel: development log, method tags and register

Revision ID: b9a1c0de0005
Revises: b9a1c0de0004
Create Date: 2026-11-25 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision: str = 'b9a1c0de0005'
down_revision: str | None = 'b9a1c0de0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('development_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('ec', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('blob_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['blob_id'], ['blob.id'], name=op.f('fk_development_entry_blob_id_blob')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_development_entry_created_by_user_account')),
    sa.ForeignKeyConstraint(['replaces_id'], ['development_entry.id'], name=op.f('fk_development_entry_replaces_id_development_entry')),
    sa.ForeignKeyConstraint(['student_id'], ['user_account.id'], name=op.f('fk_development_entry_student_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_development_entry')),
    sa.UniqueConstraint('replaces_id', name=op.f('uq_development_entry_replaces_id'))
    )
    with op.batch_alter_table('development_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_development_entry_blob_id'), ['blob_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_development_entry_student_id'), ['student_id'], unique=False)

    op.create_table('development_withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_development_withdrawal_created_by_user_account')),
    sa.ForeignKeyConstraint(['entry_id'], ['development_entry.id'], name=op.f('fk_development_withdrawal_entry_id_development_entry')),
    sa.ForeignKeyConstraint(['student_id'], ['user_account.id'], name=op.f('fk_development_withdrawal_student_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_development_withdrawal')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_development_withdrawal_entry_id'))
    )
    with op.batch_alter_table('development_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_development_withdrawal_student_id'), ['student_id'], unique=False)

    op.create_table('evidence_method',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('method_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['evidence_version.id'], name=op.f('fk_evidence_method_version_id_evidence_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_method')),
    sa.UniqueConstraint('version_id', 'method_key', name=op.f('uq_evidence_method_version_id_method_key'))
    )
    with op.batch_alter_table('evidence_method', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_method_method_key'), ['method_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_method_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('evidence_method', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_method_version_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_method_method_key'))

    op.drop_table('evidence_method')
    with op.batch_alter_table('development_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_development_withdrawal_student_id'))

    op.drop_table('development_withdrawal')
    with op.batch_alter_table('development_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_development_entry_student_id'))
        batch_op.drop_index(batch_op.f('ix_development_entry_blob_id'))

    op.drop_table('development_entry')
