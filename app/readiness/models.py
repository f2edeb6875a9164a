"""Gereedheidsbesluit (four-eyes) and the exam committee's dossier."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String, Text
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import Bound, utcnow


class ReadinessEvent(SQLModel, Bound, table=True):
    """besluit (a coordinator), bevestiging (a second staff member), heropening (a coordinator, with a reason).

    The portfolio is sealed while the latest besluit is confirmed and not reopened since.
    """

    __tablename__ = "readiness_event"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=20)
    framework_id: str = Field(max_length=100)
    framework_version: str = Field(max_length=50)
    decision_id: int | None = Field(default=None, foreign_key="readiness_event.id")
    actor_id: int = Field(foreign_key="user_account.id")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class Dossier(SQLModel, table=True):
    """A PDF and a ZIP for the exam committee, built in the background; progress is kept for the page."""

    __tablename__ = "dossier"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    requested_by_id: int = Field(foreign_key="user_account.id")
    status: str = Field(default="wacht", max_length=20)  # wacht | bezig | klaar | mislukt
    progress: int = 0  # percent
    pdf_key: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    zip_key: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    pdf_sha256: str | None = Field(default=None, max_length=64)
    zip_size: int | None = None
    manifest: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    finished_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # The build's lease (app.readiness.builds): refreshed while "bezig"; an old one means its process died.
    heartbeat_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
