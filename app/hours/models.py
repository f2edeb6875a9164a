"""Praktijkuren: the student's log of practice hours and the praktijkbegeleider's decisions on them.

History stays: an entry's content never changes, a decision is its own append-only row (one per entry), and a
correction after "terug" is a new entry that names the returned one in `replaces_id`. The only columns that ever
change are `submitted_at`/`supervisor_id`, set once (guarded) when the student submits the week; an entry that
was never submitted (a concept) may be removed by the student. Totals count approved entries only: an approved
entry is final, and a returned one counts only through its approved replacement.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import AppendOnly, Bound, utcnow


def format_hours(value: Decimal) -> str:
    """7.50 → "7,5"; 8.00 → "8" (Dutch decimal comma)."""
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


class HoursDecisionKind(StrEnum):
    goedgekeurd = "goedgekeurd"
    terug = "terug"


class HoursStatus(StrEnum):
    """An entry's derived state (not stored)."""

    concept = "concept"
    ingediend = "ingediend"
    goedgekeurd = "goedgekeurd"
    terug = "terug"
    vervangen = "vervangen"  # returned and corrected by a newer entry


class PracticeHours(SQLModel, table=True):
    __tablename__ = "practice_hours"
    # One correction per returned entry: a double click cannot fork the history.
    __table_args__ = (UniqueConstraint("replaces_id"),)

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    work_date: date = Field(index=True)
    hours: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    activity: str = Field(sa_column=Column(Text, nullable=False))
    workplace: str = Field(default="", max_length=200)
    eindterm_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    client_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    replaces_id: int | None = Field(default=None, foreign_key="practice_hours.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    # Set once, when the student submits the week: to whom it went and when.
    submitted_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True, index=True))
    supervisor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)

    @property
    def hours_text(self) -> str:
        return format_hours(self.hours)


class HoursDecision(SQLModel, Bound, table=True):
    """One decision per entry: the unique constraint makes a double click or a second tab a 409."""

    __tablename__ = "hours_decision"
    __table_args__ = (UniqueConstraint("entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="practice_hours.id")
    student_id: int = Field(foreign_key="user_account.id", index=True)
    decision: str = Field(max_length=20)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    # For a week approval: the week and total the praktijkbegeleider confirmed, e.g. "2026-W47: 32.50".
    confirmed: str | None = Field(default=None, max_length=100)
    decided_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    decided_by_name: str = Field(max_length=200)
    decided_by_email: str = Field(max_length=320)
    decided_by_function: str | None = Field(default=None, max_length=200)
    via_link_id: int | None = Field(default=None, foreign_key="supervisor_link.id")


class HoursReminder(SQLModel, AppendOnly, table=True):
    """A reminder to the praktijkbegeleider or an escalation to the coordinator about submitted hours, sent once
    per entry and kind (as `Reminder` is for a submission): a second run of the worker sends nothing again."""

    __tablename__ = "hours_reminder"
    __table_args__ = (UniqueConstraint("entry_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="practice_hours.id", index=True)
    kind: str = Field(max_length=20)  # herinnering | escalatie
    sent_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
