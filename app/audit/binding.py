"""Decision rows bound into the audit chain.

A sign-off, score, readiness decision or hours decision is an append-only row of its own table; the audit chain
alone cannot tell when someone with database access edits `sign_off.decision` from `terug` to `afgetekend`. So
the audit event that records a decision carries, under `data["rijen"]`, `[table, id, hash]` for each row it
made: a SHA-256 over the row as stored (every column). The event itself is HMAC-chained, so the binding cannot be
rewritten without the chain's key. `app.audit.verify` hashes every row of every bound table and compares:

* a row whose hash differs from its latest binding was edited;
* a binding whose row is gone names a deleted decision;
* a row without any binding was inserted behind the application's back.

Retention and erasure blank personal columns of such rows (`app.privacy.redaction`): they re-bind the rows they
changed in an event of their own, so a later binding replaces the earlier one.

Which tables are bound is declared on the model (`app.db.Bound`); this module knows none of them by name.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, select
from sqlmodel import Session, SQLModel

from app.audit.canonical import canonical_at, canonical_json
from app.db import Bound

ROW_HASH_VERSION = "rij-v1"
# data key of an audit event: the rows it binds, each [table name, id, hash]
KEY = "rijen"
CHUNK = 500


def bound_tables() -> list[Table]:
    """Every table whose rows are bound, in name order (of the models imported: `app.models` imports all)."""
    found: dict[str, Table] = {}
    pending: list[type] = list(Bound.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        table = getattr(model, "__table__", None)
        if isinstance(table, Table):
            found[table.name] = table
    return [found[name] for name in sorted(found)]


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return canonical_at(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_hash(table: Table, row: Any) -> str:
    """SHA-256 of one row as stored: every column by name, in name order (not the table's: a migration reflects
    the table, whose column order may differ from the model's). NULL columns are left out, so adding a nullable
    column keeps the bindings; a migration that adds a column with a value to a bound table re-binds its rows."""
    mapping = row if isinstance(row, dict) else row._mapping
    fields = [
        [name, _canonical_value(mapping.get(name))]
        for name in sorted(column.name for column in table.columns)
        if mapping.get(name) is not None
    ]
    return hashlib.sha256(canonical_json([ROW_HASH_VERSION, table.name, fields]).encode("utf-8")).hexdigest()


def bindings_where(session: Session, table: Table, where: ColumnElement[bool]) -> list[list[Any]]:
    """[table, id, hash] for each stored row matching `where`, read back from the database (what verify sees)."""
    rows = session.execute(select(table).where(where).order_by(table.c.id))
    return [[table.name, row.id, row_hash(table, row)] for row in rows]


def bindings_for_ids(session: Session, table: Table, ids: Sequence[int]) -> list[list[Any]]:
    """Bindings of the rows with these ids, in chunks (a database caps the parameters of one statement)."""
    made: list[list[Any]] = []
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        made.extend(bindings_where(session, table, table.c.id.in_(unique[start : start + CHUNK])))
    return made


def bindings_of(session: Session, rows: Sequence[SQLModel]) -> list[list[Any]]:
    """The bindings of ORM rows the caller just made (they are flushed first, so they have ids)."""
    if not rows:
        return []
    session.flush()
    made: list[list[Any]] = []
    by_table: dict[str, tuple[Table, list[int]]] = {}
    for obj in rows:
        if not isinstance(obj, Bound):
            raise TypeError(f"{type(obj).__name__} is not a bound decision record")
        table: Table = obj.__table__  # type: ignore[attr-defined]
        by_table.setdefault(table.name, (table, []))[1].append(int(obj.id))  # type: ignore[attr-defined]
    for table, ids in by_table.values():
        made.extend(bindings_for_ids(session, table, ids))
    return made


def bindings_in(events: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """The bindings carried by audit events' data, in the given order."""
    found: list[list[Any]] = []
    for data in events:
        value = data.get(KEY) if isinstance(data, dict) else None
        if isinstance(value, list):
            found.extend(item for item in value if isinstance(item, list) and len(item) == 3)
    return found
