"""Delivery after the request has committed (a BackgroundTask), with its own session."""

from fastapi import FastAPI
from sqlmodel import Session

from app.notifications.service import deliver_pending


async def deliver_outbox(app: FastAPI) -> None:
    with Session(app.state.engine) as session:
        await deliver_pending(session, settings=app.state.settings)
