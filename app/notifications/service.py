"""Outgoing mail: queued in the request's transaction, delivered from the outbox by `portfolio worker`.

Queueing
    `queue_mail` only adds an `outbox_message` row and flushes. The mail commits or rolls back with the work
    that caused it: nothing is mailed about a change that did not happen, and a crash loses nothing.

Delivery: claim, lease, send, record (`deliver_due`)
    1. Claim, in one short transaction: up to `batch` due rows (`sent_at IS NULL AND next_attempt_at <= now`)
       are selected with `FOR UPDATE SKIP LOCKED` on PostgreSQL and their `next_attempt_at` is pushed to
       now + LEASE; commit. A concurrent worker skips rows another claim holds locked and, once that claim has
       committed, no longer sees them as due (PostgreSQL re-checks the WHERE clause on the newest row version
       before locking it), so every due message is claimed by exactly one worker. SQLite has no row locks; there
       the claim is one `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING id` statement, atomic because
       SQLite serialises writers.
    2. Send each claimed message outside any transaction: no row locks, no pooled connection and no SQLite write
       lock are held while talking to the SMTP server. A worker stops sending once half the lease has passed and
       hands the rest back (due again), so a lease never runs out while its owner may still send. Together with
       step 1 this means two workers do not send the same message.
    3. Record each result in its own short transaction: `sent_at` on success; on failure `attempts + 1`,
       `last_error` = the exception's class name only (never the body or the server's reply: they may hold a
       one-time link or an address) and `next_attempt_at` = now + back-off (1 min x 2^(attempts-1), at most 6 h,
       plus up to 10 % jitter). A message is never given up on and never deleted.

    A worker that dies after claiming leaves its messages unsent; they become due again when the lease runs out
    and the next worker sends them: none is lost. The one window SMTP cannot close is a crash between the server
    accepting a message and step 3 recording it: that message is sent again after the lease (at-least-once). Its
    Message-ID is derived from the outbox row, so a receiving system can recognise the repeat.

Transport
    SMTP when SMTP_HOST is set. Otherwise, with MAIL_TO_CONSOLE (development), "sending" prints the mail to stdout
    and marks it sent. With neither, mail stays queued until one is configured.
"""

import hashlib
import hmac
import logging
import random
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

import aiosmtplib
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select, update

from app.config import Settings
from app.db import as_utc, utcnow
from app.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # a claimed message is not due for others for this long
SMTP_TIMEOUT = 20.0  # seconds per SMTP operation; a whole message stays far below LEASE / 2
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
SUBJECT_MAX = 300  # the column's length

SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class DeliveryReport:
    """Counts only: what a worker may log."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    released: int = 0  # claimed but handed back unsent: the lease was half used up

    def add(self, other: "DeliveryReport") -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.released += other.released


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    subject: str
    body: str
    created_at: datetime
    attempts: int


def queue_mail(session: Session, *, to: str, subject: str, body: str) -> OutboxMessage:
    """Add a mail to the outbox in the caller's transaction (flush only; the caller commits)."""
    to = to.strip()
    if not to or "\r" in to or "\n" in to:
        raise ValueError("not a usable mail address")
    # A header is one line: line breaks in a subject would be refused at send time, forever.
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    message = OutboxMessage(to_address=to, subject=subject, body=body)
    session.add(message)
    session.flush()
    return message


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try: 1, 2, 4, ... minutes, at most 6 hours, plus up to 10 % jitter."""
    exponent = min(max(attempts, 1) - 1, 20)
    delay = min(BACKOFF_BASE * (1 << exponent), BACKOFF_MAX)
    return delay * (1 + random.random() / 10)


def delivery_mode(settings: Settings) -> str | None:
    """'smtp', 'console' or None (mail stays queued)."""
    if settings.smtp_host:
        return "smtp"
    if settings.mail_to_console:
        return "console"
    return None


async def deliver_due(
    session_factory: SessionFactory,
    *,
    settings: Settings,
    now: datetime | None = None,
    batch: int = 50,
    smtp_only: bool = False,
) -> DeliveryReport:
    """Send every due outbox message, batch by batch (see the module docstring for the guarantees).

    `now` fixes the clock (tests); by default the real time is read at each step. `smtp_only` leaves mail queued
    when only console delivery is configured (the after-request task: printing is the worker's job).
    """
    report = DeliveryReport()
    mode = delivery_mode(settings)
    if mode is None or (smtp_only and mode != "smtp"):
        return report
    fixed = _utc(now) if now is not None else None

    def clock() -> datetime:
        return fixed if fixed is not None else utcnow()

    transport: _Transport = _Smtp(settings) if mode == "smtp" else _Console()
    try:
        while True:
            with session_factory() as session:
                claimed = _claim(session, now=clock(), batch=batch)
                if not claimed:
                    break
                part = await _send_claimed(session, claimed, transport=transport, settings=settings, clock=clock)
            report.add(part)
            # A short batch means the queue is drained; after a failure or a hand-back, leave the rest for later.
            if len(claimed) < batch or part.failed or part.released:
                break
    finally:
        await transport.close()
    return report


async def deliver_pending(session: Session, *, settings: Settings, limit: int = 50) -> int:
    """The earlier API: deliver what is due using (and committing) `session`; returns the number sent."""
    report = await deliver_due(lambda: nullcontext(session), settings=settings, batch=limit)
    return report.sent


# --- claim and record ---------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(UTC)


def _claim(session: Session, *, now: datetime, batch: int) -> list[_Claimed]:
    """Lease up to `batch` due messages to this worker and commit (step 1)."""
    due = (
        select(OutboxMessage.id)
        .where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.next_attempt_at) <= now)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(batch)
    )
    lease_until = now + LEASE
    conn = session.connection()
    ids: Sequence[int | None]
    if conn.dialect.name == "postgresql":
        ids = conn.execute(due.with_for_update(skip_locked=True)).scalars().all()
        if ids:
            conn.execute(
                update(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).values(next_attempt_at=lease_until)
            )
    else:
        ids = (
            conn.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(due))
                .values(next_attempt_at=lease_until)
                .returning(col(OutboxMessage.id))
            )
            .scalars()
            .all()
        )
    claimed: list[_Claimed] = []
    if ids:
        rows = conn.execute(
            sa_select(
                col(OutboxMessage.id),
                col(OutboxMessage.to_address),
                col(OutboxMessage.subject),
                col(OutboxMessage.body),
                col(OutboxMessage.created_at),
                col(OutboxMessage.attempts),
            )
            .where(col(OutboxMessage.id).in_(ids))
            .order_by(col(OutboxMessage.id))
        )
        claimed = [
            _Claimed(
                id=row.id or 0,
                to_address=row.to_address,
                subject=row.subject,
                body=row.body,
                created_at=as_utc(row.created_at),
                attempts=row.attempts,
            )
            for row in rows
        ]
    session.commit()
    return claimed


def _record(session: Session, message_id: int, **values: object) -> None:
    """Update one still-unsent message in its own short transaction (step 3)."""
    session.connection().execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.sent_at).is_(None))
        .values(attempts=col(OutboxMessage.attempts) + 1, **values)
    )
    session.commit()


def _release(session: Session, ids: Sequence[int], *, now: datetime) -> None:
    """Hand unsent claimed messages back: due again, no attempt counted."""
    session.connection().execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.sent_at).is_(None))
        .values(next_attempt_at=now)
    )
    session.commit()


async def _send_claimed(
    session: Session,
    claimed: list[_Claimed],
    *,
    transport: "_Transport",
    settings: Settings,
    clock: Callable[[], datetime],
) -> DeliveryReport:
    report = DeliveryReport(claimed=len(claimed))
    started = time.monotonic()
    unreachable: str | None = None  # the server could not be reached: the rest of the batch fails the same way
    for index, item in enumerate(claimed):
        if time.monotonic() - started > LEASE.total_seconds() / 2:
            rest = claimed[index:]
            _release(session, [m.id for m in rest], now=clock())
            report.released += len(rest)
            break
        error = unreachable
        if error is None:
            try:
                await transport.send(_email(item, settings))
            except Exception as exc:  # any failure: keep the message and retry later, never drop it
                error = type(exc).__name__
                if transport.unreachable:
                    unreachable = error
        if error is None:
            _record(session, item.id, sent_at=clock())
            report.sent += 1
        else:
            at = clock()
            _record(session, item.id, last_error=error, next_attempt_at=at + backoff(item.attempts + 1))
            report.failed += 1
            log.warning("outbox message %s not delivered (%s), attempt %s", item.id, error, item.attempts + 1)
    return report


# --- transports ---------------------------------------------------------------------------------------------


def _email(item: _Claimed, settings: Settings) -> EmailMessage:
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = item.to_address
    email["Subject"] = item.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message_id(item.id, item.created_at, settings=settings, domain=domain)
    email.set_content(item.body)
    return email


def message_id(outbox_id: int, created_at: datetime, *, settings: Settings, domain: str) -> str:
    """The same for every try of one outbox row, so a receiver can drop a repeat after a crash (see the module
    docstring). Keyed with the installation's audit key (stable across SECRET_KEY rotation): two installations
    sending from one domain (a shared host) never mint the same id, and the id reveals no creation time."""
    moment = int(_utc(created_at).timestamp() * 1_000_000)
    tag = hmac.new(settings.audit_secret.encode(), f"outbox:{outbox_id}:{moment}".encode(), hashlib.sha256)
    return f"<outbox-{outbox_id}.{tag.hexdigest()[:20]}@{domain}>"


class _Transport(Protocol):
    unreachable: bool

    async def send(self, email: EmailMessage) -> None: ...

    async def close(self) -> None: ...


class _Console:
    """Development: print the mail instead of sending it."""

    unreachable = False

    async def send(self, email: EmailMessage) -> None:
        content = email.get_content() if not email.is_multipart() else str(email)
        rule = "=" * 72
        print(
            f"\n{rule}\nMAIL (MAIL_TO_CONSOLE: printed, not sent)\n"
            f"From:    {email['From']}\nTo:      {email['To']}\nSubject: {email['Subject']}\n"
            f"{'-' * 72}\n{content.rstrip()}\n{rule}\n",
            flush=True,
        )

    async def close(self) -> None:
        return None


class _Smtp:
    """One connection per pass, reopened after an error; `unreachable` once connecting itself failed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.unreachable = False
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None:
            s = self.settings
            client = aiosmtplib.SMTP(
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_user or None,
                password=s.smtp_password if s.smtp_user else None,
                start_tls=s.smtp_starttls,
                timeout=SMTP_TIMEOUT,
            )
            try:
                await client.connect()  # logs in too when a user is configured
            except Exception:
                self.unreachable = True
                client.close()
                raise
            self._client = client
        return self._client

    async def send(self, email: EmailMessage) -> None:
        client = await self._connected()
        try:
            await client.send_message(email)
        except Exception:
            # The connection's state is unknown after an error: start afresh for the next message.
            self._client = None
            client.close()
            raise

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.quit()
            except Exception:
                client.close()
