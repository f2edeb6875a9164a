"""principal_name: user_account.principal_name (eduPersonPrincipalName from the import) and
sso_login_state.client_hash (a client's logins in progress are limited)

Both nullable or defaulted: existing users have no principal name; login states live ten minutes, so an old row
without a client simply does not count.

Revision ID: h18p00000001
Revises: h24r00000001
Create Date: 2026-12-07 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "h18p00000001"
down_revision: str | None = "h24r00000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("principal_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_user_account_principal_name"), ["principal_name"], unique=False)
    with op.batch_alter_table("sso_login_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("client_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_sso_login_state_client_hash"), ["client_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sso_login_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_login_state_client_hash"))
        batch_op.drop_column("client_hash")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_principal_name"))
        batch_op.drop_column("principal_name")
