"""A download built in the background on a row of its own (the dossier here, privacy's export above it): the
request is recorded in the audit log, progress is kept on the row for the page to poll, and a failure is written
on the row instead of raised.

A build holds a lease on its row: it moves the row from "wacht" to "bezig" with a conditional UPDATE (only one
builder wins) and refreshes `heartbeat_at` every HEARTBEAT while it runs. A process killed mid-build leaves a row
in "bezig" with an old heartbeat, or one in "wacht" that no process took: the worker (`stale`, then `run`) builds
those again once they are older than BUILD_STALE_SECONDS."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from logging import Logger
from typing import Protocol, TypeVar

from sqlalchemy import Engine, and_, func, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.db import utcnow

HEARTBEAT = timedelta(seconds=30)  # well below BUILD_STALE_SECONDS (default 300): a live build never looks dead


class BuiltRow(Protocol):
    id: int | None
    requested_by_id: int
    status: str  # wacht | bezig | klaar | mislukt
    progress: int  # percent
    created_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None


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


def _abandoned(model: type[BuiltRow], stale_before: datetime) -> ColumnElement[bool]:
    """Rows no live process is building: waiting since before `stale_before`, or busy without a heartbeat since."""
    table = model.__table__  # type: ignore[attr-defined]
    last_sign = func.coalesce(table.c.heartbeat_at, table.c.created_at)  # rows from before the lease existed
    return or_(
        and_(table.c.status == "wacht", table.c.created_at < stale_before),
        and_(table.c.status == "bezig", last_sign < stale_before),
    )


def claim(engine: Engine, model: type[BuiltRow], row_id: int, *, stale_before: datetime | None = None) -> bool:
    """Take the row's lease: a waiting row, or (with `stale_before`: the worker) an abandoned one. One conditional
    UPDATE, so of two builders racing (request task, workers) exactly one wins: on PostgreSQL the loser waits for
    the winner's row lock and then no longer matches."""
    table = model.__table__  # type: ignore[attr-defined]
    free = table.c.status == "wacht"
    if stale_before is not None:
        free = or_(free, _abandoned(model, stale_before))
    with engine.begin() as conn:
        claimed = conn.execute(
            update(table)
            .where(table.c.id == row_id, free)
            .values(status="bezig", progress=5, heartbeat_at=utcnow(), finished_at=None)
        )
    return claimed.rowcount == 1


def stale(session: Session, model: type[BuiltRow], *, now: datetime, older_than: timedelta) -> list[int]:
    """The ids of abandoned rows (see `claim`): candidates for the worker, each still to be claimed."""
    table = model.__table__  # type: ignore[attr-defined]
    rows = session.exec(select(col(table.c.id)).where(_abandoned(model, now - older_than)).order_by(table.c.id))
    return [row_id for row_id in rows.all() if row_id is not None]


def run(
    build: Callable[[], None],
    *,
    engine: Engine,
    model: type[BuiltRow],
    row_id: int,
    log: Logger,
    what: str,
    stale_before: datetime | None = None,
) -> bool:
    """Claim the row and build it, keeping the lease alive. Never raises: a failure is logged (as `what`, on the
    caller's logger) and recorded on the row. False when another builder holds (or finished) the row."""
    if not claim(engine, model, row_id, stale_before=stale_before):
        return False
    try:
        with _heartbeat(engine, model, row_id, log):
            build()
    except Exception:  # the page must show 'mislukt', not spin forever
        log.exception("%s %s failed", what, row_id)
        with Session(engine) as session:
            row = session.get(model, row_id)
            if row is not None:
                row.status, row.finished_at = "mislukt", utcnow()
                session.add(row)
                session.commit()
    return True


@contextmanager
def _heartbeat(engine: Engine, model: type[BuiltRow], row_id: int, log: Logger) -> Iterator[None]:
    """Refresh the lease every HEARTBEAT while the block runs (a large file or the PDF may take minutes)."""
    table = model.__table__  # type: ignore[attr-defined]
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT.total_seconds()):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        update(table)
                        .where(table.c.id == row_id, table.c.status == "bezig")
                        .values(heartbeat_at=utcnow())
                    )
            except Exception as exc:  # the database is briefly away: beat again next time
                log.warning("heartbeat of %s %s failed: %s", table.name, row_id, type(exc).__name__)

    thread = threading.Thread(target=beat, name=f"heartbeat-{table.name}-{row_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def progress(engine: Engine, model: type[BuiltRow], row_id: int, percent: int) -> None:
    with Session(engine) as session:
        row = session.get(model, row_id)
        assert row is not None
        row.progress, row.status, row.heartbeat_at = percent, "bezig", utcnow()
        session.add(row)
        session.commit()
