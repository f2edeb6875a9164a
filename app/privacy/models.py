"""The access log (who looked at whose portfolio) and per-person exports (right of access / portability)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import AppendOnly, utcnow


class AccessEvent(SQLModel, AppendOnly, table=True):
    """Someone other than the student viewed their portfolio, an eindterm, a bewijsstuk, a file or the dossier.

    Written with one INSERT per view (no reads). The viewer's roles are kept as they were at the time, so the
    student's inzage page needs no role lookups.
    """

    __tablename__ = "access_event"
    __table_args__ = (Index("ix_access_event_student_at", "student_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))  # retention deletes by age
    viewer_id: int = Field(foreign_key="user_account.id", index=True)
    student_id: int = Field(foreign_key="user_account.id")
    # portfolio | eindterm | bewijsstuk | bestand | aftekenverzoek | gereedheid | dossier | api
    kind: str = Field(max_length=30)
    object_id: str | None = Field(default=None, max_length=64)
    viewer_roles: str = Field(default="", max_length=200)  # comma-separated, at the time of the view
    via_link: bool = False  # a praktijkbegeleider through the account-free link


class PrivacyExport(SQLModel, table=True):
    """A ZIP with everything stored about one person, built in the background; downloadable by the requester."""

    __tablename__ = "privacy_export"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="user_account.id", index=True)  # whose data
    requested_by_id: int = Field(foreign_key="user_account.id", index=True)
    status: str = Field(default="wacht", max_length=20)  # wacht | bezig | klaar | mislukt | verlopen
    progress: int = 0  # percent
    zip_key: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    zip_size: int | None = None
    zip_sha256: str | None = Field(default=None, max_length=64)
    # Per table the number of rows, per file its SHA-256 (what the ZIP's manifest.json lists).
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    finished_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    # The build's lease (app.readiness.builds): refreshed while "bezig"; an old one means its process died.
    heartbeat_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    expires_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
