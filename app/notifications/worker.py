"""`portfolio worker`: periodic jobs, then the mail outbox, every WORKER_INTERVAL_SECONDS.

Several instances may run side by side (also next to the web servers' after-request delivery): outbox messages
are claimed with `FOR UPDATE SKIP LOCKED` and leased, see `app.notifications.service`. Extra jobs (reminders,
escalations, digests) must be safe to run concurrently in the same way; each runs in its own transaction.

Logs carry counts and job names only, never mail addresses or bodies.
"""

import asyncio
import logging
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from types import FrameType

from sqlalchemy import Engine
from sqlmodel import Session

from app.config import Settings, get_settings
from app.db import make_engine, utcnow
from app.logs import bound, configure, new_id
from app.notifications.service import deliver_due, delivery_mode

log = logging.getLogger(__name__)

Job = Callable[[Session, datetime], None]


def run_worker(
    *,
    settings: Settings,
    once: bool = False,
    stop: threading.Event | None = None,
    extra_jobs: Sequence[Job] = (),
) -> None:
    """Run passes until `stop` is set (or one pass with `once`).

    A failing job is logged and the others still run. A failing mail drain is logged and retried next pass;
    with `once` it is raised, so a one-shot run (cron) exits non-zero.
    """
    stop = stop if stop is not None else threading.Event()
    mode = delivery_mode(settings)
    if mode is None:
        log.warning("no SMTP_HOST and MAIL_TO_CONSOLE is off: mail stays queued in the outbox")
    log.info(
        "worker started: mail via %s, %d extra job(s), %s",
        mode or "nothing",
        len(extra_jobs),
        "one pass" if once else f"every {settings.worker_interval_seconds}s",
    )
    engine = make_engine(settings.database_url)
    try:
        while True:
            _pass(engine, settings=settings, jobs=extra_jobs, raise_errors=once)
            if once or stop.wait(settings.worker_interval_seconds):
                break
    finally:
        engine.dispose()
        log.info("worker stopped")


def _pass(engine: Engine, *, settings: Settings, jobs: Sequence[Job], raise_errors: bool) -> None:
    now = utcnow()
    for job in jobs:
        name = getattr(job, "__name__", None) or type(job).__name__
        # Each run of a job gets an id of its own on its lines: one run is followed across instances by it.
        with bound(job=name, run_id=new_id()), Session(engine) as session:
            try:
                job(session, now)
                session.commit()
            except Exception as exc:
                session.rollback()
                _log_failure(f"job {name}", exc)
            else:
                log.debug("job %s done", name)
    with bound(job="mail", run_id=new_id()):
        _deliver(engine, settings=settings, raise_errors=raise_errors)


def _deliver(engine: Engine, *, settings: Settings, raise_errors: bool) -> None:
    try:
        report = asyncio.run(deliver_due(lambda: Session(engine), settings=settings))
    except Exception as exc:
        if raise_errors:
            raise
        _log_failure("mail delivery", exc)
        return
    if report.claimed:
        log.info(
            "mail: %d claimed, %d sent, %d failed (retried later), %d handed back",
            report.claimed,
            report.sent,
            report.failed,
            report.released,
        )


def _log_failure(what: str, exc: BaseException) -> None:
    # The class name and where, not the message: database errors quote their parameters (addresses, links).
    frames = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__))
    log.error("%s failed: %s\n%s", what, type(exc).__name__, frames)


def worker_command(settings: Settings | None = None, *, once: bool = False, extra_jobs: Sequence[Job] = ()) -> None:
    """Blocking entry point for `portfolio worker`. SIGTERM or Ctrl-C finishes the current pass and stops; a
    second Ctrl-C interrupts at once."""
    settings = settings or get_settings()
    if not logging.getLogger().handlers:  # not when embedded (a test's capture, `serve --with-worker`)
        configure(settings)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.info("stopping after this pass")
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    run_worker(settings=settings, once=once, stop=stop, extra_jobs=extra_jobs)
