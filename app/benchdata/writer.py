"""Writing the rows: buffered bulk INSERTs, parents first, and the audit events chained as `audit.record` would."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlmodel import Session, SQLModel

from app.accounts.models import User, UserRole
from app.assessment.models import Assessment
from app.audit import binding
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.benchdata.stages import BATCH
from app.cohorts.models import Cohort, Enrolment, Programme, ProgrammeCoordinator, SupervisorAssignment
from app.db import Bound, utcnow
from app.evidence.models import Evidence, EvidenceLink, EvidenceVersion, Slot, Submission
from app.signoff.models import SignOff

# Parents first: the order in which buffered rows are inserted.
TABLES: tuple[type[SQLModel], ...] = (
    User,
    UserRole,
    Programme,
    ProgrammeCoordinator,
    Cohort,
    Enrolment,
    SupervisorAssignment,
    Evidence,
    EvidenceVersion,
    EvidenceLink,
    Submission,
    Slot,
    SignOff,
    Assessment,
)
WRITTEN: tuple[type[SQLModel], ...] = (*TABLES, AuditEvent)


def table_of(model: type[SQLModel]) -> Any:
    return model.__table__  # type: ignore[attr-defined]


@dataclass
class Writer:
    """Buffers rows per table and inserts them in batches of BATCH, parents first; counts what it wrote."""

    session: Session
    rows: dict[type[SQLModel], list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    next_ids: dict[type[SQLModel], int] = field(default_factory=dict)
    # [table, id, hash] of every decision row written: bound into the audit chain at the end, as `audit.record`
    # binds the rows the application makes (`app.audit.binding`).
    bound: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for model in WRITTEN:
            table = table_of(model)
            highest = self.session.execute(select(func.max(table.c.id))).scalar()
            self.next_ids[model] = (highest or 0) + 1
            self.rows[model] = []

    def new_id(self, model: type[SQLModel]) -> int:
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def add(self, model: type[SQLModel], row: dict[str, Any]) -> int:
        if "id" not in row:
            row["id"] = self.new_id(model)
        self.rows[model].append(row)
        return int(row["id"])

    def flush(self) -> None:
        for model in TABLES:
            self._insert(model)

    def _insert(self, model: type[SQLModel]) -> None:
        rows = self.rows[model]
        table = table_of(model)
        if issubclass(model, Bound):
            self.bound.extend([table.name, row["id"], binding.row_hash(table, row)] for row in rows)
        for start in range(0, len(rows), BATCH):
            self.session.execute(insert(table), rows[start : start + BATCH])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        rows.clear()


@dataclass
class AuditLog:
    """Events collected while generating; chained and inserted at the end, oldest first."""

    events: list[tuple[datetime, int | None, str, str, str | None, dict[str, Any]]] = field(default_factory=list)

    def add(
        self, at: datetime, actor_id: int | None, action: str, object_type: str, object_id: Any, data: dict[str, Any]
    ) -> None:
        self.events.append((at, actor_id, action, object_type, None if object_id is None else str(object_id), data))

    def write(self, session: Session, writer: Writer) -> int:
        """Append to the chain exactly as `audit.record` would, one event after another, and move the head."""
        self.events.sort(key=lambda event: event[0])
        bound_at = utcnow()
        for start in range(0, len(writer.bound), binding.CHUNK):
            chunk = writer.bound[start : start + binding.CHUNK]
            self.events.append((bound_at, None, "bench.rows_bound", "bench", None, {binding.KEY: chunk}))
        writer.bound = []
        if not self.events:
            return 0
        head = audit._lock_head(session)
        last_event_id, last_hash = head.last_event_id, head.last_hash
        next_id = max(writer.next_ids[AuditEvent] - 1, last_event_id or 0) + 1
        table = table_of(AuditEvent)
        batch: list[dict[str, Any]] = []
        for at, actor_id, action, object_type, object_id, data in self.events:
            event_hash = audit.canonical_hash(
                prev_hash=last_hash,
                event_id=next_id,
                at=at,
                actor_id=actor_id,
                action=action,
                object_type=object_type,
                object_id=object_id,
                data=data,
            )
            batch.append(
                {
                    "id": next_id,
                    "at": at,
                    "actor_id": actor_id,
                    "action": action,
                    "object_type": object_type,
                    "object_id": object_id,
                    "data": data,
                    "prev_hash": last_hash,
                    "hash": event_hash,
                }
            )
            last_event_id, last_hash = next_id, event_hash
            next_id += 1
            if len(batch) >= BATCH:
                session.execute(insert(table), batch)
                batch = []
        if batch:
            session.execute(insert(table), batch)
        assert last_event_id is not None
        audit.move_head(
            session, last_event_id=last_event_id, last_hash=last_hash, row_count=head.row_count + len(self.events)
        )
        writer.next_ids[AuditEvent] = next_id
        return len(self.events)


def move_sequences(session: Session) -> None:
    """PostgreSQL: ids were given explicitly, so move each id sequence past them (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in WRITTEN:
        name = table_of(model).name
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))")  # noqa: S608
        )
