"""privacy: retention and erasure; the audit chain keyed (HMAC)

Adds `enrolment.left_at`, `blob.removed_at`, `user_account.erased_at`, and re-hashes an existing audit chain from
plain SHA-256 ("audit-v1") to HMAC-SHA256 with a key derived from SECRET_KEY ("audit-v2"): run it with the
production SECRET_KEY in the environment (as `portfolio migrate` is). Only the unbroken part of a chain is
re-hashed: from a tampered row on, rows keep their old hashes, so `portfolio audit verify` still names it.

Revision ID: b9a1c0de0004
Revises: b9a1c0de0003
Create Date: 2026-11-25 17:30:00
"""
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op  # noqa: F401


revision: str = 'b9a1c0de0004'
down_revision: str | None = 'b9a1c0de0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_AUDIT = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("data", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
_HEAD = sa.table(
    "audit_chain_head",
    sa.column("id", sa.Integer),
    sa.column("last_event_id", sa.Integer),
    sa.column("last_hash", sa.String),
)


def _canonical(version: str, prev_hash: str, row: Any) -> bytes:
    # As app.audit.service at this revision (copied: a migration must not change when the app does).
    at: datetime = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    fields = [
        version,
        prev_hash,
        row.id,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.data,
    ]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _v1(prev_hash: str, row: Any) -> str:
    return hashlib.sha256(_canonical("audit-v1", prev_hash, row)).hexdigest()


def _v2(key: bytes, prev_hash: str, row: Any) -> str:
    return hmac.new(key, _canonical("audit-v2", prev_hash, row), hashlib.sha256).hexdigest()


def _rehash_audit_chain(*, to_keyed: bool) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(_AUDIT).order_by(_AUDIT.c.id)).fetchall()
    if not any(row.hash for row in rows):
        return
    from app.config import get_settings

    key = hmac.new(
        get_settings().audit_secret.encode("utf-8"), b"jobcoach-portfolio audit chain v2", hashlib.sha256
    ).digest()

    def old(prev: str, row: Any) -> str:
        return _v2(key, prev, row) if not to_keyed else _v1(prev, row)

    def new(prev: str, row: Any) -> str:
        return _v2(key, prev, row) if to_keyed else _v1(prev, row)

    old_prev: str | None = None
    new_prev = ""
    moved: dict[str, str] = {}
    for row in rows:
        if not row.hash and old_prev is None:
            continue  # rows from before the chain
        if row.prev_hash != (old_prev or "") or row.hash != old(row.prev_hash, row):
            break  # tampered from here on: leave it for `portfolio audit verify` to name
        new_hash = new(new_prev, row)
        bind.execute(sa.update(_AUDIT).where(_AUDIT.c.id == row.id).values(prev_hash=new_prev, hash=new_hash))
        moved[row.hash] = new_hash
        old_prev, new_prev = row.hash, new_hash
    for head in bind.execute(sa.select(_HEAD)).fetchall():
        if head.last_hash in moved:
            bind.execute(sa.update(_HEAD).where(_HEAD.c.id == head.id).values(last_hash=moved[head.last_hash]))


def upgrade() -> None:
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("blob", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    _rehash_audit_chain(to_keyed=True)


def downgrade() -> None:
    _rehash_audit_chain(to_keyed=False)
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("blob", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_column("left_at")
