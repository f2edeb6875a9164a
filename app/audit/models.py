"""Append-only record of who did what."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.db import AppendOnly, tz_column, utcnow


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
    # Hash chain: each row commits to the previous row's hash, so an edit, a deletion or a reordering shows.
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)


class AuditChainHead(SQLModel, table=True):
    """One row: the newest chained event. Locked while appending, so concurrent writers form one chain."""

    __tablename__ = "audit_chain_head"

    id: int | None = Field(default=None, primary_key=True)
    last_event_id: int | None = None
    last_hash: str = Field(default="", max_length=64)
    # How many events the chain holds up to last_event_id, and an HMAC over (last id, last hash, count) with the
    # chain key: a head rewritten to an earlier row does not verify.
    row_count: int = 0
    mac: str = Field(default="", max_length=64)
