"""Outgoing mail is written to an outbox first: it survives a crash and commits with the request."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, SQLModel

from app.db import tz_column, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    sent_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True, index=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    # A failed send is retried later (back-off); the message is never dropped.
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))


@event.listens_for(OrmSession, "before_flush")
def _note_queued_mail(session: OrmSession, _ctx: Any, _instances: Any) -> None:
    # Lets the request deliver right after it commits, instead of waiting for the worker's next pass.
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info["mail_queued"] = True
