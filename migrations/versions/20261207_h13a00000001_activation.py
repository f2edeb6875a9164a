"""activation: welcome mails with a single-use activation link for imported people

Adds `user_account.activated_at` and `password_reset_token.kind` ('reset' or 'activation'). Existing accounts
that have a password count as activated (from their creation); an account without one never could sign in, so it
shows as "nog niet geactiveerd" and the coordinator can send its welcome mail. Erased accounts count as activated
(nothing to send them).

Revision ID: h13a00000001
Revises: h21000000001
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'h13a00000001'
down_revision: str | None = 'h21000000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE user_account SET activated_at = created_at "
        "WHERE password_hash IS NOT NULL OR erased_at IS NOT NULL"
    )
    with op.batch_alter_table('password_reset_token', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='reset')
        )


def downgrade() -> None:
    with op.batch_alter_table('password_reset_token', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('activated_at')
