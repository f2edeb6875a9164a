"""A download built in the background on a row of its own (the dossier here, privacy's export above it): the
request is recorded in the audit log, progress is kept on the row for the page to poll, and a failure is written
on the row instead of raised."""

from collections.abc import Callable
from datetime import datetime
from logging import Logger
from typing import Protocol, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from app.audit import service as audit
from app.db import utcnow


class BuiltRow(Protocol):
    id: int | None
    requested_by_id: int
    status: str  # wacht | bezig | klaar | mislukt
    progress: int  # percent
    finished_at: datetime | None


Row = TypeVar("Row", bound=BuiltRow)


def requested(session: Session, row: Row, action: str, *, about: tuple[str, int], key: str) -> Row:
    """Store a new request and record it in the audit log as done by its requester: `about` is the event's
    (object type, object id), and the event names the row as `data[key]`."""
    session.add(row)
    session.flush()
    object_type, object_id = about
    audit.record(
        session,
        actor_id=row.requested_by_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data={key: row.id},
    )
    return row


def run(
    build: Callable[[], None], *, engine: Engine, model: type[BuiltRow], row_id: int, log: Logger, what: str
) -> None:
    """Run in the background: never raises; a failure is logged (as `what`, on the caller's logger) and recorded
    on the row."""
    try:
        build()
    except Exception:  # the page must show 'mislukt', not spin forever
        log.exception("%s %s failed", what, row_id)
        with Session(engine) as session:
            row = session.get(model, row_id)
            if row is not None:
                row.status, row.finished_at = "mislukt", utcnow()
                session.add(row)
                session.commit()


def progress(engine: Engine, model: type[BuiltRow], row_id: int, percent: int) -> None:
    with Session(engine) as session:
        row = session.get(model, row_id)
        assert row is not None
        row.progress, row.status = percent, "bezig"
        session.add(row)
        session.commit()
