"""Writing audit events into one append-only hash chain.

Every event commits to the previous event's hash, so editing, deleting or reordering rows shows up in
`app.audit.verify`. The design keeps the row append-only (no UPDATE after the INSERT):

* the chain head (one row, id 1) is locked first (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the
  `INSERT OR IGNORE` that makes sure the head exists already takes the database's single write lock);
* while holding that lock the event's id is allocated (`nextval` of the id sequence on PostgreSQL, the
  next free rowid on SQLite), so ids ascend in chain order even with several app instances;
* `at` is set explicitly, and the hash is computed over all fields (id included) *before* the INSERT;
* the head is moved to the new event. The lock is held until the caller's transaction ends.

The hash is an HMAC keyed with a key derived from AUDIT_KEY (or SECRET_KEY when that is not set; "audit-v2"):
someone with write access to the database but not to the key cannot rewrite the chain end to end. The head is
keyed too: it carries the number of chained rows and an HMAC over (last id, last hash, row count), so cutting off
the newest rows and pointing the head at an earlier row shows. An event that records a decision binds the
decision's stored row into the chain (`app.audit.binding`). Chains written before the key (plain SHA-256,
"audit-v1") were re-hashed with the key by the migration `b9a1c0de0004` after checking them.
"""

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from app.audit import binding
from app.audit.canonical import canonical_at, canonical_json
from app.audit.models import AuditChainHead, AuditEvent
from app.db import utcnow
from app.errors import Conflict

__all__ = ["canonical_at", "canonical_json", "record", "record_new"]

HEAD_ID = 1
# Bumped if the canonical form ever changes; part of what is hashed so old and new rows cannot be confused.
HASH_VERSION = "audit-v2"  # HMAC-SHA256 with the chain key; "audit-v1" was plain SHA-256 (see the migration)
KEY_CONTEXT = b"jobcoach-portfolio audit chain v2"

_chain_key: bytes | None = None


def chain_key_for(secret_key: str) -> bytes:
    """The chain's key, derived from AUDIT_KEY or SECRET_KEY (a key per purpose: never the CSRF key itself)."""
    return hmac.new(secret_key.encode("utf-8"), KEY_CONTEXT, hashlib.sha256).digest()


def configure(secret_key: str) -> None:
    """Set the chain key for this process (the app factory does, from AUDIT_KEY or SECRET_KEY)."""
    global _chain_key
    _chain_key = chain_key_for(secret_key)


def chain_key() -> bytes:
    """The configured key; without `configure` (command-line tools), the one from the environment's settings."""
    if _chain_key is None:
        from app.config import get_settings

        configure(get_settings().audit_secret)
    assert _chain_key is not None
    return _chain_key


def canonical_bytes(
    *,
    prev_hash: str,
    event_id: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str | None,
    data: dict[str, Any],
) -> bytes:
    """One JSON array, so no field can bleed into the next (no delimiter ambiguity)."""
    fields = [HASH_VERSION, prev_hash, event_id, canonical_at(at), actor_id, action, object_type, object_id, data]
    return canonical_json(fields).encode("utf-8")


def canonical_hash(**fields: Any) -> str:
    """HMAC-SHA256 hex of the canonical form (the fields of `canonical_bytes`), with the chain key; used by the
    writer and by the verifier."""
    return hmac.new(chain_key(), canonical_bytes(**fields), hashlib.sha256).hexdigest()


def event_hash(event: AuditEvent) -> str:
    """The hash an event (as stored, with its own prev_hash) should carry."""
    if event.id is None:
        raise ValueError("an audit event needs an id before it can be hashed")
    return canonical_hash(
        prev_hash=event.prev_hash,
        event_id=event.id,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
    )


class Head(NamedTuple):
    last_event_id: int | None
    last_hash: str
    row_count: int
    mac: str


HEAD_VERSION = "audit-head-v1"


def head_mac(*, last_event_id: int | None, last_hash: str, row_count: int) -> str:
    """The head's HMAC: a head copied from an earlier row, or with a lowered count, does not carry it."""
    message = canonical_json([HEAD_VERSION, last_event_id, last_hash, row_count]).encode("utf-8")
    return hmac.new(chain_key(), message, hashlib.sha256).hexdigest()


def _lock_head(session: Session) -> Head:
    """Create the head row if needed (race-safe) and lock it."""
    dialect = session.get_bind().dialect.name
    table = AuditChainHead.__table__  # type: ignore[attr-defined]
    empty = {"id": HEAD_ID, "last_event_id": None, "last_hash": "", "row_count": 0, "mac": ""}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(**empty).on_conflict_do_nothing())
    else:
        # On SQLite this write statement also takes the write lock, so the rest runs serialized.
        session.execute(insert(table).prefix_with("OR IGNORE").values(**empty))
    row = session.execute(
        select(table.c.last_event_id, table.c.last_hash, table.c.row_count, table.c.mac)
        .where(table.c.id == HEAD_ID)
        .with_for_update()
    ).one()
    return Head(row.last_event_id, row.last_hash, row.row_count or 0, row.mac or "")


def move_head(session: Session, *, last_event_id: int, last_hash: str, row_count: int) -> None:
    """Point the (locked) head at the newest event, with the new row count and the head's HMAC."""
    table = AuditChainHead.__table__  # type: ignore[attr-defined]
    mac = head_mac(last_event_id=last_event_id, last_hash=last_hash, row_count=row_count)
    session.execute(
        update(table)
        .where(table.c.id == HEAD_ID)
        .values(last_event_id=last_event_id, last_hash=last_hash, row_count=row_count, mac=mac)
    )


def _next_event_id(session: Session, last_event_id: int | None) -> int:
    """Allocate the new event's id while holding the head lock, so ids ascend in chain order."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))")).scalar_one()
        return int(value)
    highest = session.execute(select(func.max(AuditEvent.__table__.c.id))).scalar()  # type: ignore[attr-defined]
    # Never reuse an id the head already named (e.g. after rows were removed at the end).
    return max(highest or 0, last_event_id or 0) + 1


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    data: dict[str, Any] | None = None,
    bind: Sequence[SQLModel] = (),
) -> AuditEvent:
    """Append an event to the chain. Only flushes: the caller's transaction commits (and releases the lock).

    `bind`: the decision rows this event records (`app.db.Bound`); their stored content is hashed into the event.
    """
    data = dict(data or {})
    if bind:
        data[binding.KEY] = binding.bindings_of(session, bind)
    # What is hashed must equal what is read back: normalise data through JSON (int keys, tuples...).
    stored_data: dict[str, Any] = json.loads(json.dumps(data, ensure_ascii=False))
    head = _lock_head(session)
    last_hash = head.last_hash
    event_id = _next_event_id(session, head.last_event_id)
    event = AuditEvent(
        id=event_id,
        at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data=stored_data,
        prev_hash=last_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    move_head(session, last_event_id=event_id, last_hash=event.hash, row_count=head.row_count + 1)
    return event


def record_new(
    session: Session,
    *rows: SQLModel,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    data: dict[str, Any] | None = None,
    bind: bool = False,
    once: str | None = None,
) -> AuditEvent:
    """Insert new rows and record them in one event, under the first row's id unless `object_id` names another.

    `bind`: the rows are decision records (`app.db.Bound`), bound into the event.
    `once`: a unique constraint allows the rows only once (a decision, a correction, a withdrawal). They go in
    through a savepoint, so whoever comes second (a double click, a second tab, a colleague) gets a 409 with this
    message and the request's earlier work stays.
    """
    if once is None:
        session.add_all(rows)
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.add_all(rows)
                session.flush()
        except IntegrityError:
            raise Conflict(once) from None
    return record(
        session,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=rows[0].id if object_id is None else object_id,  # type: ignore[attr-defined]
        data=data,
        bind=rows if bind else (),
    )
