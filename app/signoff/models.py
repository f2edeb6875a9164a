"""Aftekening: the praktijkbegeleider's decision on a submission, and account-free supervisor links."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import AppendOnly, Bound, utcnow


class Decision(StrEnum):
    afgetekend = "afgetekend"
    terug = "terug"
    niet_mogelijk = "niet_mogelijk"


class SignOff(SQLModel, Bound, table=True):
    """One decision per submission: the unique constraint makes a double click or a second tab a 409."""

    __tablename__ = "sign_off"
    __table_args__ = (UniqueConstraint("submission_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id")
    student_id: int = Field(foreign_key="user_account.id", index=True)
    eindterm_code: str = Field(max_length=20)
    decision: str = Field(max_length=20)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    # Who, as they confirmed it at the time (a link user may later change their name).
    decided_by_name: str = Field(max_length=200)
    decided_by_email: str = Field(max_length=320)
    decided_by_function: str | None = Field(default=None, max_length=200)
    via_link_id: int | None = Field(default=None, foreign_key="supervisor_link.id")
    # The approved assignment the decider held for this student: only such sign-offs count for readiness.
    assignment_id: int | None = Field(default=None, foreign_key="supervisor_assignment.id", index=True)


class SupervisorLink(SQLModel, table=True):
    """A long random link for a praktijkbegeleider without a password: their pending items, nothing else."""

    __tablename__ = "supervisor_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    supervisor_id: int = Field(foreign_key="user_account.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column())
    revoked_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class Reminder(SQLModel, AppendOnly, table=True):
    """A reminder to the praktijkbegeleider or an escalation to the coordinator, sent once per submission."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("submission_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    kind: str = Field(max_length=20)  # herinnering | escalatie
    sent_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
