"""lti: LTI 1.3 tool — registered platforms, the tool's signing keys, launches in progress, course → cohort

Identities from a launch (issuer, sub) go into the existing sign_in_identity table.

Revision ID: h19l00000001
Revises: h18t00000001
Create Date: 2026-12-08 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "h19l00000001"
down_revision: str | None = "h18t00000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "lti_platform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _S(length=200), nullable=False),
        sa.Column("issuer", _S(length=500), nullable=False),
        sa.Column("client_id", _S(length=255), nullable=False),
        sa.Column("deployment_ids", sa.Text(), nullable=False),
        sa.Column("auth_login_url", _S(length=1000), nullable=False),
        sa.Column("token_url", _S(length=1000), nullable=False),
        sa.Column("jwks_url", _S(length=1000), nullable=False),
        sa.Column("frame_origin", _S(length=300), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "client_id"),
    )
    op.create_table(
        "lti_tool_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("retired_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )
    op.create_table(
        "lti_launch_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", _S(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("client_hash", _S(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
        sa.UniqueConstraint("nonce"),
    )
    op.create_index(op.f("ix_lti_launch_state_platform_id"), "lti_launch_state", ["platform_id"], unique=False)
    op.create_index(op.f("ix_lti_launch_state_expires_at"), "lti_launch_state", ["expires_at"], unique=False)
    op.create_index(op.f("ix_lti_launch_state_client_hash"), "lti_launch_state", ["client_hash"], unique=False)
    op.create_table(
        "lti_context",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", _S(length=255), nullable=False),
        sa.Column("title", _S(length=300), nullable=True),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("first_launch_at", _TS, nullable=False),
        sa.Column("linked_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"]),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "context_id"),
    )
    op.create_index(op.f("ix_lti_context_platform_id"), "lti_context", ["platform_id"], unique=False)
    op.create_index(op.f("ix_lti_context_cohort_id"), "lti_context", ["cohort_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lti_context_cohort_id"), table_name="lti_context")
    op.drop_index(op.f("ix_lti_context_platform_id"), table_name="lti_context")
    op.drop_table("lti_context")
    op.drop_index(op.f("ix_lti_launch_state_client_hash"), table_name="lti_launch_state")
    op.drop_index(op.f("ix_lti_launch_state_expires_at"), table_name="lti_launch_state")
    op.drop_index(op.f("ix_lti_launch_state_platform_id"), table_name="lti_launch_state")
    op.drop_table("lti_launch_state")
    op.drop_table("lti_tool_key")
    op.drop_table("lti_platform")
