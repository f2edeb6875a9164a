"""supervisor assignments: proposals, coordinator approval, sign-offs under an assignment

Revision ID: c15a00000001
Revises: b9a1c0de0005
Create Date: 2026-12-06 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'c15a00000001'
down_revision: str | None = 'b9a1c0de0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('supervisor_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('function', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('workplace', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_supervisor_assignment_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user_account.id'], name=op.f('fk_supervisor_assignment_ended_by_id_user_account')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_supervisor_assignment_enrolment_id_enrolment')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_supervisor_assignment_proposed_by_id_user_account')),
    sa.ForeignKeyConstraint(['student_id'], ['user_account.id'], name=op.f('fk_supervisor_assignment_student_id_user_account')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['user_account.id'], name=op.f('fk_supervisor_assignment_supervisor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervisor_assignment'))
    )
    with op.batch_alter_table('supervisor_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervisor_assignment_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervisor_assignment_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervisor_assignment_student_id'), ['student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervisor_assignment_supervisor_id'), ['supervisor_id'], unique=False)

    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sign_off_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_sign_off_assignment_id_supervisor_assignment'), 'supervisor_assignment', ['assignment_id'], ['id']
        )

    # Today's praktijkbegeleiders were put there by someone the app trusted then: each becomes an approved
    # assignment (decided by nobody, reason says so), and their sign-offs keep counting under it.
    op.execute(
        """
        INSERT INTO supervisor_assignment
            (enrolment_id, student_id, status, supervisor_id, name, email, function, workplace,
             proposed_at, decided_at, reason)
        SELECT e.id, e.student_id, 'goedgekeurd', e.supervisor_id, u.name, u.email, u.function, e.workplace,
               e.created_at, e.created_at, 'Overgenomen bij de invoering van goedgekeurde koppelingen'
        FROM enrolment e JOIN user_account u ON u.id = e.supervisor_id
        WHERE e.supervisor_id IS NOT NULL
        """
    )
    op.execute(
        """
        UPDATE sign_off SET assignment_id = (
            SELECT MIN(a.id) FROM supervisor_assignment a
            WHERE a.student_id = sign_off.student_id AND a.supervisor_id = sign_off.decided_by_id
        )
        WHERE assignment_id IS NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sign_off_assignment_id_supervisor_assignment'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sign_off_assignment_id'))
        batch_op.drop_column('assignment_id')
    with op.batch_alter_table('supervisor_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervisor_assignment_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_supervisor_assignment_student_id'))
        batch_op.drop_index(batch_op.f('ix_supervisor_assignment_status'))
        batch_op.drop_index(batch_op.f('ix_supervisor_assignment_enrolment_id'))
    op.drop_table('supervisor_assignment')
