"""Engine, metadata conventions and the one commit point per request."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
import anyio.to_thread
import psycopg
import pydantic
from fastapi import Depends, Path, Request
from sqlalchemy import Column, DateTime, Engine, event
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel, create_engine

from app.errors import InvalidInput

# Deterministic constraint names keep Alembic diffs stable on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Row ids are INTEGER columns: a larger number matches nothing, and SQLite cannot even bind one beyond 2**63
# (a 500). Every id the outside world sends is bounded here, once: RowId in a path (out of range: 404), IdField
# in a JSON body (out of range: 422 naming the field), parse_row_id for a form or query value.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
IdField = Annotated[int, pydantic.Field(ge=1, le=MAX_ROW_ID)]


def parse_row_id(value: object) -> int | None:
    """A form or query value that names a row: its id, or None when it cannot be one (empty, not ASCII digits,
    out of range). Callers decide whether None means "none chosen" or a mistake to tell the user about."""
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(MAX_ROW_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ROW_ID else None


def tz_column(nullable: bool = False, index: bool = False) -> Column:  # type: ignore[type-arg,unused-ignore]
    """A timezone-aware timestamp column: every stored moment is UTC."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AppendOnly:
    """Marker for records that are never updated or deleted: a correction is a new row."""


class Bound(AppendOnly):
    """A decision record (sign-off, score, readiness decision, hours decision) whose content is bound into the
    audit chain: the audit event that records it carries a hash of the stored row (`app.audit.binding`), so
    `portfolio audit verify` names a row edited, deleted or inserted behind the application's back."""


@event.listens_for(OrmSession, "before_flush")
def _refuse_append_only_changes(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AppendOnly) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError(f"{type(obj).__name__} is append-only")


CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # A database host that is gone without a refusal (a failed-over address, a dropped firewall rule) would hold each
    # request for the kernel's TCP timeout (minutes); five seconds, then a 503 (is_database_outage). A URL that sets
    # its own connect_timeout keeps it.
    connect_args = {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args)


def is_database_outage(exc: BaseException) -> bool:
    """The database is unreachable or restarting (not a bug in a query): a connection the pool dropped, a refused
    or broken connection, PostgreSQL shutting down or starting up. Such a request answers 503; the next one gets
    a fresh connection (pool_pre_ping replaces what a restart killed)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    # psycopg's OperationalError: SQLSTATE classes 08 (connection), 53 (resources), 57 (shutdown, cancel), 58.
    return isinstance(original, psycopg.OperationalError)


def refresh_statistics(session: OrmSession) -> None:
    """ANALYZE: fresh table statistics for the query planner. SQLite has none until asked, and without them it
    guesses: at 2,000 students it read every waiting slot of the programme through the status index for one
    praktijkbegeleider's pending list (8 ms) instead of starting from their students (0.2 ms). PostgreSQL's
    autovacuum analyses by itself; an extra ANALYZE after a bulk load or a migration only helps it sooner."""
    session.connection().exec_driver_sql("ANALYZE")


class DailyStatistics:
    """A worker job: `refresh_statistics` at the worker's start and then once a day (per worker process; two
    workers analysing on the same day do no harm)."""

    __name__ = "planner_statistics"

    def __init__(self, every: timedelta = timedelta(days=1)) -> None:
        self.every = every
        self.last: datetime | None = None

    def __call__(self, session: Session, now: datetime) -> None:
        if self.last is not None and now - self.last < self.every:
            return
        refresh_statistics(session)
        self.last = now


async def get_db(request: Request) -> AsyncIterator[Session]:
    """The request's session: services flush, this is the only place that commits."""
    # A Session does no I/O until its first query: made here, on the event loop, it spares the request a thread
    # hop. Committing, rolling back and closing talk to the database: in a worker thread, shielded from
    # cancellation (a client that goes away must not leave a connection checked out).
    # expire_on_commit=False: a streamed response (a CSV export) may still read loaded rows after the commit.
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_commit_and_close, session)
        if session.info.pop("mail_queued", False):
            request.state.mail_queued = True  # the middleware delivers after the response
    except DataError as exc:
        # Input the database cannot hold (in PostgreSQL: a NUL character in text): the request's fault, not a 500.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_roll_back_and_close, session)
        raise InvalidInput() from exc
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_roll_back_and_close, session)
        raise


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        session.close()
        raise
    session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


# Every route and dependency asks for the session through this: "function" scope ends the dependency — and so
# commits — when the route returns, *before* the response is sent. (The default "request" scope would commit
# after sending, and a browser following the redirect at once could miss what the POST just wrote.)
DB: Any = Depends(get_db, scope="function")
