"""sign_in_identity: (issuer, sub) linked to a user, the SSO login state, a programme's allowed institutions

Revision ID: h18000000001
Revises: h14000000001
Create Date: 2026-12-07 16:40:07.226748
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'h18000000001'
down_revision: str | None = 'h14000000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programme_institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('institution', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programme.id'], name=op.f('fk_programme_institution_programme_id_programme')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_institution')),
    sa.UniqueConstraint('programme_id', 'institution', name=op.f('uq_programme_institution_programme_id_institution'))
    )
    with op.batch_alter_table('programme_institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_institution_programme_id'), ['programme_id'], unique=False)

    op.create_table('sign_in_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('sub', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('schac_home_organization', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('eduperson_affiliation', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sign_in_identity_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_identity')),
    sa.UniqueConstraint('issuer', 'sub', name=op.f('uq_sign_in_identity_issuer_sub'))
    )
    with op.batch_alter_table('sign_in_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_identity_user_id'), ['user_id'], unique=False)

    op.create_table('sso_login_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('browser_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('code_verifier', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('next', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('activation_token_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activation_token_id'], ['password_reset_token.id'], name=op.f('fk_sso_login_state_activation_token_id_password_reset_token')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_login_state')),
    sa.UniqueConstraint('state_hash', name=op.f('uq_sso_login_state_state_hash'))
    )
    with op.batch_alter_table('sso_login_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_login_state_expires_at'), ['expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sso_login_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_login_state_expires_at'))

    op.drop_table('sso_login_state')
    with op.batch_alter_table('sign_in_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_identity_user_id'))

    op.drop_table('sign_in_identity')
    with op.batch_alter_table('programme_institution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_institution_programme_id'))

    op.drop_table('programme_institution')
