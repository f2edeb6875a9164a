"""audit_binding: a keyed chain head (row count + HMAC) and the decision rows bound into the chain

Adds `audit_chain_head.row_count` and `.mac`, appends one event per 500 existing decision rows (sign-offs,
scores, substitute approvals, readiness events, hours decisions) carrying each row's hash, and keys the head.
Run it with the AUDIT_KEY (or SECRET_KEY) the application uses, as `portfolio migrate` does.

Revision ID: c15a00000005
Revises: c15a00000004
Create Date: 2026-12-07 03:00:00
"""
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = 'c15a00000005'
down_revision: str | None = 'c15a00000004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As app.audit at this revision (copied: a migration must not change when the app does).
BOUND = ("assessment", "hours_decision", "readiness_event", "sign_off", "substitute_approval")
CHUNK = 500


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _at(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _at(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row_hash(table: sa.Table, row: Any) -> str:
    mapping = row._mapping
    fields = [
        [name, _value(mapping[name])] for name in sorted(c.name for c in table.columns) if mapping[name] is not None
    ]
    return hashlib.sha256(_json(["rij-v1", table.name, fields]).encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=False, server_default=''))
    _bind_and_key()


def _event_hash(key: bytes, prev_hash: str, row: Any) -> str:
    fields = ["audit-v2", prev_hash, row.id, _at(row.at), row.actor_id, row.action, row.object_type, row.object_id]
    fields.append(row.data)
    return hmac.new(key, _json(fields).encode("utf-8"), hashlib.sha256).hexdigest()


def _chain_legacy_rows(bind: Any, events: sa.Table, head_table: sa.Table, key: bytes) -> None:
    """Rows from before the chain (no hash, at the start) join it: from then on verify refuses any unhashed row.

    The chain after them is re-hashed from the start; from a row that does not verify on, rows keep their hashes,
    so `portfolio audit verify` still names it."""
    rows = bind.execute(sa.select(events).order_by(events.c.id)).fetchall()
    if not rows or rows[0].hash:
        return
    old_prev: str | None = None
    new_prev = ""
    moved: dict[str, str] = {}
    last_id, last_hash = None, ""
    for row in rows:
        if old_prev is None and not row.hash:
            pass  # a legacy row: chained now
        elif row.prev_hash != (old_prev or "") or row.hash != _event_hash(key, row.prev_hash, row):
            break
        new_hash = _event_hash(key, new_prev, row)
        bind.execute(sa.update(events).where(events.c.id == row.id).values(prev_hash=new_prev, hash=new_hash))
        if row.hash:
            moved[row.hash] = new_hash
            old_prev = row.hash
        new_prev = new_hash
        last_id, last_hash = row.id, new_hash
    head = bind.execute(sa.select(head_table).where(head_table.c.id == 1)).first()
    if head is not None and head.last_hash in moved:
        bind.execute(sa.update(head_table).where(head_table.c.id == 1).values(last_hash=moved[head.last_hash]))
    elif head is None and old_prev is None:
        # Only legacy rows: the head is made here.
        bind.execute(sa.insert(head_table).values(id=1, last_event_id=last_id, last_hash=last_hash, row_count=0, mac=""))


def _bind_and_key() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    events = sa.Table('audit_event', meta, autoload_with=bind)
    head_table = sa.Table('audit_chain_head', meta, autoload_with=bind)
    bindings: list[tuple[str, list[list[Any]]]] = []
    for name in BOUND:
        table = sa.Table(name, meta, autoload_with=bind)
        rows = [[name, row.id, _row_hash(table, row)] for row in bind.execute(sa.select(table).order_by(table.c.id))]
        bindings.extend((name, rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK))
    head = bind.execute(sa.select(head_table).where(head_table.c.id == 1)).first()
    if head is None and not bindings and bind.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 0:
        return  # a new database: the first event creates the head
    from app.config import get_settings

    key = hmac.new(
        get_settings().audit_secret.encode("utf-8"), b"jobcoach-portfolio audit chain v2", hashlib.sha256
    ).digest()
    _chain_legacy_rows(bind, events, head_table, key)
    head = bind.execute(sa.select(head_table).where(head_table.c.id == 1)).first()
    if head is None:
        bind.execute(sa.insert(head_table).values(id=1, last_event_id=None, last_hash='', row_count=0, mac=''))
        last_id, last_hash = None, ''
    else:
        last_id, last_hash = head.last_event_id, head.last_hash
    now = datetime.now(UTC)
    postgres = bind.dialect.name == 'postgresql'
    for name, rows in bindings:
        if postgres:
            event_id = int(bind.execute(sa.text("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))")).scalar_one())
        else:
            highest = bind.execute(sa.select(sa.func.max(events.c.id))).scalar()
            event_id = max(highest or 0, last_id or 0) + 1
        data = {"rijen": rows}
        fields = ["audit-v2", last_hash, event_id, _at(now), None, "audit.rows_bound", name, None, data]
        digest = hmac.new(key, _json(fields).encode("utf-8"), hashlib.sha256).hexdigest()
        bind.execute(
            sa.insert(events).values(
                id=event_id, at=now, actor_id=None, action="audit.rows_bound", object_type=name, object_id=None,
                data=data, prev_hash=last_hash, hash=digest,
            )
        )
        last_id, last_hash = event_id, digest
    count = 0
    if last_id is not None:
        count = int(bind.execute(sa.select(sa.func.count()).select_from(events).where(events.c.id <= last_id)).scalar_one())
    mac = hmac.new(key, _json(["audit-head-v1", last_id, last_hash, count]).encode("utf-8"), hashlib.sha256).hexdigest()
    bind.execute(
        sa.update(head_table).where(head_table.c.id == 1).values(
            last_event_id=last_id, last_hash=last_hash, row_count=count, mac=mac
        )
    )


def downgrade() -> None:
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('mac')
        batch_op.drop_column('row_count')
