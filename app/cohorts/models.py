"""Programmes, cohorts pinned to a framework version, and who guides whom."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import utcnow


class Programme(SQLModel, table=True):
    __tablename__ = "programme"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    institution: str | None = Field(default=None, max_length=200)
    # Approved praktijkuren the readiness rule requires; None: the framework's readiness.minimum_practice_hours.
    minimum_practice_hours: int | None = Field(default=None, ge=0)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class ProgrammeCoordinator(SQLModel, table=True):
    __tablename__ = "programme_coordinator"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)


class Cohort(SQLModel, table=True):
    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("programme_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    name: str = Field(max_length=200)
    start_date: date
    planned_end_date: date | None = None
    # Pinned at creation: a later framework version does not move a running cohort.
    framework_id: str = Field(max_length=100)
    framework_version: str = Field(max_length=50)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class Enrolment(SQLModel, table=True):
    """A student in a cohort, with their workplace, praktijkbegeleider and beoordelaar."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("cohort_id", "student_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id", index=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    workplace: str | None = Field(default=None, max_length=200)
    supervisor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    assessor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    # Set by the coordinator when the student leaves the programme; starts the retention clock for evidence.
    left_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class AssignmentStatus(StrEnum):
    voorgesteld = "voorgesteld"  # a student's voorstel: no link, no mail, no requests
    goedgekeurd = "goedgekeurd"  # approved by the programme's coordinator: receives requests while not ended
    afgewezen = "afgewezen"
    ingetrokken = "ingetrokken"  # replaced by the student's newer voorstel
    beeindigd = "beeindigd"  # a later approved assignment (or the coordinator) ended it


class SupervisorAssignment(SQLModel, table=True):
    """Who judges a student's work in practice, and who decided so (`app/cohorts/guidance.py` holds the rule).

    Rows are never deleted: a proposal is decided once, an approval is ended once; sign-offs point at the approved
    row they were made under."""

    __tablename__ = "supervisor_assignment"

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: int = Field(foreign_key="enrolment.id", index=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    status: str = Field(max_length=20, index=True)
    # Set on approval only: a proposal names a person, it does not look up or create an account.
    supervisor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    function: str | None = Field(default=None, max_length=200)
    workplace: str | None = Field(default=None, max_length=200)
    proposed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    proposed_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    ended_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    ended_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
