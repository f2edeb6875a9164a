"""Outbox delivery: a real SMTP server on loopback (aiosmtpd), back-off and retries, console mode, leases, two
workers racing (PostgreSQL `FOR UPDATE SKIP LOCKED`), and the worker loop."""

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import as_utc, utcnow
from app.notifications import service
from app.notifications.models import OutboxMessage
from app.notifications.service import DeliveryReport, backoff, deliver_due, queue_mail
from app.notifications.tasks import deliver_outbox
from app.notifications.worker import run_worker, worker_command

LINK = "http://testserver/aftekenen/Zk3_abc-Token9"
SUBJECT = "Aftekening gevraagd: gesprek met werkgever"
BODY = (
    "Beste Sandra,\n\n"
    "Lotte de Vries vraagt u om haar bewijsstuk ‘Eerste gesprek met de werkgever’ te beoordelen en af te tekenen.\n"
    f"Open deze link (geldig tot en met 14 dagen na verzending):\n{LINK}\n\n"
    "Met vriendelijke groet,\nhet jobcoach-portfolio\n"
)


# --- a real SMTP server on loopback ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """aiosmtpd handler: keeps every accepted message; refuses chosen recipients; may answer slowly."""

    def __init__(self, refuse: tuple[str, ...] = (), delay: float = 0.0) -> None:
        self.refuse = set(refuse)
        self.delay = delay
        self.port = 0
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 Onbekende ontvanger"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int | None = None, **options: Any) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox(**options)
    inbox.port = port or free_port()  # aiosmtpd's Controller needs an explicit, free port
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


def smtp_settings(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "mail_to_console": False})


def console_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"smtp_host": None, "mail_to_console": True})


def deliver(app: FastAPI, settings: Settings, **options: Any) -> DeliveryReport:
    engine = app.state.engine
    return asyncio.run(deliver_due(lambda: Session(engine), settings=settings, **options))


def rows(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


# --- SMTP ----------------------------------------------------------------------------------------------------


def test_queued_mail_is_sent_over_smtp_with_its_dutch_text_and_link(
    app: FastAPI, db: Session, settings: Settings, smtp: Inbox
) -> None:
    first = queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    second = queue_mail(
        db,
        to="coord@school.nl",
        subject="Herinnering: aftekening staat al één week open",
        body=f"Beste Marieke,\n\nDe aftekening voor Lotte de Vries staat nog open. Bekijk de aanvraag:\n{LINK}\n",
    )
    db.commit()

    report = deliver(app, smtp_settings(settings, smtp.port))

    assert report == DeliveryReport(claimed=2, sent=2)
    assert smtp.recipients == [["sandra@werk.nl"], ["coord@school.nl"]]
    mail, reminder = smtp.messages
    assert mail["To"] == "sandra@werk.nl"
    assert mail["From"] == settings.mail_from
    assert mail["Subject"] == SUBJECT
    assert mail["Message-ID"].startswith(f"<outbox-{first.id}.")
    text_body = mail.get_content()
    assert "Lotte de Vries vraagt u om haar bewijsstuk ‘Eerste gesprek met de werkgever’" in text_body
    assert LINK in text_body.split()  # the link on its own, not broken by line wrapping or encoding
    assert reminder["Subject"] == "Herinnering: aftekening staat al één week open"
    assert "De aftekening voor Lotte de Vries staat nog open." in reminder.get_content()
    assert LINK in reminder.get_content().split()
    assert reminder["Message-ID"].startswith(f"<outbox-{second.id}.")
    for row in rows(db):
        assert row.sent_at is not None
        assert row.attempts == 1
        assert row.last_error is None
    # Nothing is due any more: a second pass sends nothing.
    assert deliver(app, smtp_settings(settings, smtp.port)) == DeliveryReport()
    assert len(smtp.messages) == 2


def test_smtp_down_keeps_the_message_and_retries_it_with_backoff(
    app: FastAPI, db: Session, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()  # nothing listens here yet: the SMTP server is down
    down = smtp_settings(settings, port)
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    now = utcnow()

    report = deliver(app, down, now=now)

    assert report == DeliveryReport(claimed=1, failed=1)
    (row,) = rows(db)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error == "SMTPConnectError"  # the class name only, never the body or the link
    retry_at = as_utc(row.next_attempt_at)
    assert now + timedelta(minutes=1) <= retry_at <= now + timedelta(minutes=1.1)
    # Before the back-off has passed nothing is tried, even with the server up again.
    with smtp_server(port=port) as inbox:
        assert deliver(app, down, now=now + timedelta(seconds=59)) == DeliveryReport()
        assert inbox.messages == []

    # Still down after the back-off: the wait doubles, the message stays.
    report = deliver(app, down, now=retry_at + timedelta(seconds=1))
    assert report == DeliveryReport(claimed=1, failed=1)
    (row,) = rows(db)
    assert (row.sent_at, row.attempts) == (None, 2)
    second_retry = as_utc(row.next_attempt_at)
    assert retry_at + timedelta(minutes=2) <= second_retry <= retry_at + timedelta(minutes=2.3)

    # Server up, clock past the back-off: delivered, with its link.
    with smtp_server(port=port) as inbox:
        moment = second_retry + timedelta(seconds=1)
        report = deliver(app, down, now=moment)
        assert report == DeliveryReport(claimed=1, sent=1)
        (mail,) = inbox.messages
    assert mail["Subject"] == SUBJECT
    assert LINK in mail.get_content().split()
    (row,) = rows(db)
    assert row.sent_at is not None and as_utc(row.sent_at) == moment
    assert row.attempts == 3
    # Our logs name the outbox id and the error class, never the address or the body.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("app."))
    assert "SMTPConnectError" in ours
    assert "sandra@werk.nl" not in ours
    assert LINK not in ours


def test_a_refused_recipient_does_not_hold_up_the_rest_of_the_batch(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    with smtp_server(refuse=("weg@nergens.nl",)) as inbox:
        for address in ("sandra@werk.nl", "weg@nergens.nl", "peter@werk.nl"):
            queue_mail(db, to=address, subject=SUBJECT, body=BODY)
        db.commit()
        report = deliver(app, smtp_settings(settings, inbox.port))
    assert report == DeliveryReport(claimed=3, sent=2, failed=1)
    assert inbox.recipients == [["sandra@werk.nl"], ["peter@werk.nl"]]
    ok, refused, also_ok = rows(db)
    assert ok.sent_at is not None and also_ok.sent_at is not None
    assert refused.sent_at is None
    assert refused.last_error == "SMTPRecipientsRefused"
    assert refused.attempts == 1


def test_a_long_queue_is_drained_in_batches(app: FastAPI, db: Session, settings: Settings, smtp: Inbox) -> None:
    for number in range(7):
        queue_mail(db, to=f"begeleider{number}@werk.nl", subject=f"Aftekening {number}", body=BODY)
    db.commit()
    report = deliver(app, smtp_settings(settings, smtp.port), batch=3)
    assert report == DeliveryReport(claimed=7, sent=7)
    assert sorted(m["Subject"] for m in smtp.messages) == [f"Aftekening {n}" for n in range(7)]


def test_backoff_doubles_from_one_minute_up_to_six_hours_with_a_little_jitter() -> None:
    for attempts, minutes in [(1, 1), (2, 2), (3, 4), (4, 8), (9, 256)]:
        wait = backoff(attempts)
        assert timedelta(minutes=minutes) <= wait <= timedelta(minutes=minutes * 1.1)
    for attempts in (10, 30, 10_000):
        assert timedelta(hours=6) <= backoff(attempts) <= timedelta(hours=6.6)


# --- leases: a crashed worker loses nothing; a slow one hands back ------------------------------------------


def test_messages_claimed_by_a_crashed_worker_are_sent_after_the_lease(
    app: FastAPI, db: Session, settings: Settings, smtp: Inbox
) -> None:
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    queue_mail(db, to="peter@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    now = utcnow()
    with Session(app.state.engine) as session:
        assert len(service._claim(session, now=now, batch=50)) == 2
    # ... and that worker dies before sending anything.
    up = smtp_settings(settings, smtp.port)
    assert deliver(app, up, now=now + timedelta(minutes=5)) == DeliveryReport()  # leased: not sent by another
    assert smtp.messages == []
    assert all(row.sent_at is None for row in rows(db))

    report = deliver(app, up, now=now + service.LEASE + timedelta(seconds=1))
    assert report == DeliveryReport(claimed=2, sent=2)
    assert len(smtp.messages) == 2


def test_a_worker_out_of_lease_time_hands_its_messages_back_unsent(
    app: FastAPI, db: Session, settings: Settings, smtp: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    monkeypatch.setattr(service, "LEASE", timedelta(0))  # the lease is used up before the first send
    report = deliver(app, smtp_settings(settings, smtp.port))
    assert report == DeliveryReport(claimed=1, released=1)
    assert smtp.messages == []
    (row,) = rows(db)
    assert (row.sent_at, row.attempts, row.last_error) == (None, 0, None)
    monkeypatch.undo()
    assert deliver(app, smtp_settings(settings, smtp.port)).sent == 1


# --- console (development) and no transport ----------------------------------------------------------------


def test_console_mode_prints_the_mail_and_marks_it_sent(
    app: FastAPI, db: Session, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    report = deliver(app, console_settings(settings))
    assert report == DeliveryReport(claimed=1, sent=1)
    printed = capsys.readouterr().out
    assert "To:      sandra@werk.nl" in printed
    assert f"Subject: {SUBJECT}" in printed
    assert "Lotte de Vries vraagt u om haar bewijsstuk ‘Eerste gesprek met de werkgever’" in printed
    assert LINK in printed.split()
    (row,) = rows(db)
    assert row.sent_at is not None


def test_without_smtp_or_console_mail_stays_queued(
    app: FastAPI, db: Session, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    (before,) = rows(db)
    due = before.next_attempt_at
    neither = settings.model_copy(update={"smtp_host": None, "mail_to_console": False})
    assert deliver(app, neither) == DeliveryReport()
    assert capsys.readouterr().out == ""
    (row,) = rows(db)
    assert (row.sent_at, row.attempts, row.next_attempt_at) == (None, 0, due)


def test_after_request_delivery_uses_smtp_only(
    app: FastAPI, db: Session, settings: Settings, smtp: Inbox, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    app.state.settings = console_settings(settings)
    deliver_outbox(app)  # console printing is the worker's job: stays queued
    assert capsys.readouterr().out == ""
    assert rows(db)[0].sent_at is None
    app.state.settings = smtp_settings(settings, smtp.port)
    deliver_outbox(app)
    assert rows(db)[0].sent_at is not None
    assert len(smtp.messages) == 1


def test_queue_mail_only_flushes_and_keeps_headers_on_one_line(db: Session) -> None:
    message = queue_mail(db, to=" sandra@werk.nl ", subject="Aftekening\r\ngevraagd", body=BODY)
    assert message.id is not None
    assert (message.to_address, message.subject) == ("sandra@werk.nl", "Aftekening gevraagd")
    db.rollback()  # the caller's transaction decides: rolled back, the mail is gone
    assert rows(db) == []
    with pytest.raises(ValueError):
        queue_mail(db, to="sandra@werk.nl\r\nBcc: iedereen@school.nl", subject=SUBJECT, body=BODY)


# --- two workers at once ---------------------------------------------------------------------------------------


def require_postgres(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        return
    reason = "needs PostgreSQL (FOR UPDATE SKIP LOCKED): set TEST_DATABASE_URL=postgresql+psycopg://..."
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but the tests run on {engine.dialect.name}: {reason}")
    pytest.skip(reason)


def race_two_workers(app: FastAPI, db: Session, settings: Settings) -> None:
    """40 messages, two `deliver_due` in threads, small batches, a slow server: 40 distinct deliveries."""
    for number in range(40):
        queue_mail(db, to=f"begeleider{number}@werk.nl", subject=f"Aftekening {number:02d}", body=BODY)
    db.commit()
    with smtp_server(delay=0.01) as inbox:
        up = smtp_settings(settings, inbox.port)
        start = threading.Barrier(2)
        reports: list[DeliveryReport] = []
        errors: list[BaseException] = []

        def work() -> None:
            start.wait()
            try:
                reports.append(deliver(app, up, batch=5))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(worker.is_alive() for worker in workers)
    assert errors == []
    message_ids = [mail["Message-ID"] for mail in inbox.messages]
    subjects = sorted(mail["Subject"] for mail in inbox.messages)
    assert len(message_ids) == 40
    assert len(set(message_ids)) == 40, "a message was sent twice"
    assert subjects == [f"Aftekening {n:02d}" for n in range(40)]
    assert sum(report.sent for report in reports) == 40
    assert sum(report.failed for report in reports) == 0
    assert all(report.sent > 0 for report in reports), "both workers should have taken part"
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows(db))


@pytest.mark.postgres
def test_two_workers_on_postgresql_never_send_the_same_message(app: FastAPI, db: Session, settings: Settings) -> None:
    require_postgres(app.state.engine)
    race_two_workers(app, db, settings)


@pytest.mark.sqlite_only
def test_two_workers_on_sqlite_never_send_the_same_message(app: FastAPI, db: Session, settings: Settings) -> None:
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite claim path; PostgreSQL runs its own race test")
    race_two_workers(app, db, settings)


@pytest.mark.postgres
def test_rows_locked_by_another_transaction_are_skipped_not_waited_for(
    app: FastAPI, db: Session, settings: Settings, smtp: Inbox
) -> None:
    require_postgres(app.state.engine)
    locked = queue_mail(db, to="sandra@werk.nl", subject="Vergrendeld", body=BODY)
    queue_mail(db, to="peter@werk.nl", subject="Vrij", body=BODY)
    db.commit()
    up = smtp_settings(settings, smtp.port)
    with app.state.engine.connect() as other:
        other.execute(text("SELECT id FROM outbox_message WHERE id = :id FOR UPDATE"), {"id": locked.id})
        reports: list[DeliveryReport] = []
        worker = threading.Thread(target=lambda: reports.append(deliver(app, up)))
        worker.start()
        worker.join(timeout=10)
        assert not worker.is_alive(), "the worker waited for a locked row instead of skipping it"
        assert reports == [DeliveryReport(claimed=1, sent=1)]
        assert [m["Subject"] for m in smtp.messages] == ["Vrij"]
        other.rollback()
    assert deliver(app, up) == DeliveryReport(claimed=1, sent=1)
    assert [m["Subject"] for m in smtp.messages] == ["Vrij", "Vergrendeld"]


# --- the worker loop -------------------------------------------------------------------------------------------


def test_run_worker_once_runs_the_jobs_then_drains_the_outbox(
    app: FastAPI,
    db: Session,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    moments: list[datetime] = []

    def broken_job(session: Session, now: datetime) -> None:
        queue_mail(session, to="nooit@werk.nl", subject="Half werk", body=BODY)
        raise RuntimeError("kapot voor lotte@student.nl")

    def reminders(session: Session, now: datetime) -> None:
        moments.append(now)
        queue_mail(session, to="sandra@werk.nl", subject="Herinnering: aftekening", body=BODY)

    run_worker(settings=console_settings(settings), once=True, extra_jobs=[broken_job, reminders])

    assert len(moments) == 1 and moments[0].tzinfo is not None
    (row,) = rows(db)  # the broken job's mail was rolled back with it; the reminder was committed and sent
    assert row.to_address == "sandra@werk.nl"
    assert row.sent_at is not None
    printed = capsys.readouterr().out
    assert "Subject: Herinnering: aftekening" in printed
    assert LINK in printed.split()
    assert "job broken_job failed: RuntimeError" in caplog.text
    assert "mail: 1 claimed, 1 sent" in caplog.text
    assert "lotte@student.nl" not in caplog.text
    assert "sandra@werk.nl" not in caplog.text


def test_run_worker_sleeps_interruptibly_until_stopped(app: FastAPI, settings: Settings) -> None:
    passes: list[datetime] = []
    first_pass = threading.Event()
    stop = threading.Event()

    def job(session: Session, now: datetime) -> None:
        passes.append(now)
        first_pass.set()

    slow = settings.model_copy(update={"worker_interval_seconds": 3600, "mail_to_console": False})
    thread = threading.Thread(target=run_worker, kwargs={"settings": slow, "stop": stop, "extra_jobs": [job]})
    thread.start()
    assert first_pass.wait(timeout=30)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(passes) == 1


def test_worker_command_runs_a_pass(app: FastAPI, db: Session, settings: Settings, smtp: Inbox) -> None:
    queue_mail(db, to="sandra@werk.nl", subject=SUBJECT, body=BODY)
    db.commit()
    # In a thread: no signal handlers are installed outside the main thread.
    thread = threading.Thread(target=worker_command, args=(smtp_settings(settings, smtp.port),), kwargs={"once": True})
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(smtp.messages) == 1
    assert rows(db)[0].sent_at is not None
