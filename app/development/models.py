"""Deskundigheidsbevordering (professional development log), degree certificates, and methods as evidence tags.

Append-only: an entry's content never changes. A correction is a new entry naming the corrected one in
`replaces_id` (one correction per entry); withdrawing an entry is its own row with a reason. The current log is
every entry that is neither replaced nor withdrawn; the history keeps everything.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import AppendOnly, utcnow


class EntryKind(StrEnum):
    cursus = "cursus"  # deelopleiding, cursus of training: counts towards the professional development hours
    hbo_diploma = "hbo_diploma"  # a completed HBO or university degree
    evc = "evc"  # HBO work and thinking level shown through a recognised EVC procedure or assessment
    jobcoach_diploma = "jobcoach_diploma"  # a diploma of a recognised jobcoach training (elsewhere)


class DevelopmentEntry(SQLModel, AppendOnly, table=True):
    __tablename__ = "development_entry"
    # One correction per entry: a double click cannot fork the history.
    __table_args__ = (UniqueConstraint("replaces_id"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=200)
    provider: str = Field(default="", max_length=200)
    entry_date: date
    # Hours or EC as on the certificate; at least one for a course. Hours count when both are given.
    hours: Decimal | None = Field(default=None, sa_column=Column(Numeric(7, 2), nullable=True))
    ec: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 2), nullable=True))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    blob_id: int | None = Field(default=None, foreign_key="blob.id", index=True)
    replaces_id: int | None = Field(default=None, foreign_key="development_entry.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    created_by: int = Field(foreign_key="user_account.id")


class DevelopmentWithdrawal(SQLModel, AppendOnly, table=True):
    """An entry taken back by the student, with the reason; the entry itself stays in the history."""

    __tablename__ = "development_withdrawal"
    __table_args__ = (UniqueConstraint("entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="development_entry.id")
    student_id: int = Field(foreign_key="user_account.id", index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    created_by: int = Field(foreign_key="user_account.id")


class EvidenceMethod(SQLModel, AppendOnly, table=True):
    """A method (key from the beroepsprofiel) that one evidence version applies; a new version lists its own."""

    __tablename__ = "evidence_method"
    __table_args__ = (UniqueConstraint("version_id", "method_key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="evidence_version.id", index=True)
    method_key: str = Field(max_length=60, index=True)
