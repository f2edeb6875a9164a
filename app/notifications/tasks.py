"""Delivery right after a request has committed (a BackgroundTask), so a reset link does not wait for the worker.

A plain function on purpose: Starlette runs it in its threadpool, so neither the database work nor SMTP blocks
the event loop. SMTP only: console printing (development) and every retry are `portfolio worker`'s job, and a
failure here just leaves the mail queued for it.
"""

import asyncio
import logging

from fastapi import FastAPI
from sqlmodel import Session

from app.notifications.service import deliver_due

log = logging.getLogger(__name__)


def deliver_outbox(app: FastAPI) -> None:
    settings = app.state.settings
    if not settings.smtp_host:
        return
    engine = app.state.engine
    try:
        asyncio.run(deliver_due(lambda: Session(engine), settings=settings, smtp_only=True))
    except Exception as exc:  # the messages stay queued (leased at worst) and the worker sends them
        log.warning("after-request mail delivery failed: %s", type(exc).__name__)
