"""Append-only record of who did what."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import AppendOnly, utcnow


class AuditEvent(SQLModel, AppendOnly, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    action: str = Field(max_length=80, index=True)
    object_type: str = Field(max_length=50)
    object_id: str | None = Field(default=None, max_length=64)
    # Facts about the event, never free text typed by users about clients.
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
