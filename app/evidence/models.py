"""Bewijsstukken, their immutable versions, files, koppelingen, and the per-slot current state.

An evidence item's content lives in `EvidenceVersion` rows that are never changed: every save is a new
version, so what a praktijkbegeleider signed or a beoordelaar scored stays exactly as they saw it.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.accounts.models import tz_column
from app.db import AppendOnly, Bound, utcnow


class EvidenceKind(StrEnum):
    verslag = "verslag"
    observatie = "observatie"
    reflectie = "reflectie"
    video = "video"
    audio = "audio"
    document = "document"
    foto = "foto"
    link = "link"


class SlotStatus(StrEnum):
    leeg = "leeg"
    concept = "concept"
    ter_aftekening = "ter_aftekening"
    terug = "terug"
    afgetekend = "afgetekend"
    beoordeeld = "beoordeeld"
    niet_mogelijk = "niet_mogelijk"


class Evidence(SQLModel, table=True):
    """The identity of a bewijsstuk; `latest_version` is kept in step with its versions."""

    __tablename__ = "evidence"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    latest_version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class EvidenceVersion(SQLModel, AppendOnly, table=True):
    __tablename__ = "evidence_version"
    __table_args__ = (UniqueConstraint("evidence_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidence.id", index=True)
    number: int
    title: str = Field(max_length=200)
    activity_date: date
    kind: str = Field(max_length=20)
    reflection: str = Field(default="", sa_column=Column(Text, nullable=False))
    links: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The student confirmed that client data in this version is anonymised (privacy nudge).
    privacy_confirmed: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    created_by: int = Field(foreign_key="user_account.id")


class Blob(SQLModel, table=True):
    """A stored file. The storage key is server-generated; the user's filename is only data."""

    __tablename__ = "blob"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(32), nullable=False, unique=True))
    student_id: int = Field(foreign_key="user_account.id", index=True)
    original_name: str = Field(max_length=255)
    download_name: str = Field(max_length=255)
    kind: str = Field(max_length=20)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
    # A PDF with scripts or automatic actions (app.evidence.pdfactive): download only. Set at upload; NULL for
    # other kinds and for PDFs stored before the check existed (those are scanned on first use).
    active_content: bool | None = Field(default=None)
    # Retention or erasure deleted the file from storage; size and sha256 stay for the dossier's manifest.
    removed_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))


class EvidenceFile(SQLModel, AppendOnly, table=True):
    """A file as part of one version; a new version lists again the files it keeps."""

    __tablename__ = "evidence_file"
    __table_args__ = (UniqueConstraint("version_id", "blob_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="evidence_version.id", index=True)
    blob_id: int = Field(foreign_key="blob.id", index=True)
    position: int = 0


class EvidenceLink(SQLModel, AppendOnly, table=True):
    """Koppeling + onderbouwing: this version shows this eindterm, because …"""

    __tablename__ = "evidence_link"
    __table_args__ = (UniqueConstraint("version_id", "eindterm_code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="evidence_version.id", index=True)
    eindterm_code: str = Field(max_length=20, index=True)
    justification: str = Field(sa_column=Column(Text, nullable=False))


class Submission(SQLModel, AppendOnly, table=True):
    """A slot sent to the praktijkbegeleider for aftekening, with the exact versions it contains."""

    __tablename__ = "submission"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    framework_id: str = Field(max_length=100)
    framework_version: str = Field(max_length=50)
    eindterm_code: str = Field(max_length=20)
    supervisor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    version_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=tz_column(index=True))


class Slot(SQLModel, table=True):
    """Current state of one student × eindterm, kept in step by the services on every event.

    Pages and cohort views read this table instead of recomputing from every evidence row.
    """

    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("student_id", "framework_id", "framework_version", "eindterm_code"),
        # Covering index for the cohort overview: counting and listing slots per student reads no table rows.
        Index(
            "ix_slot_progress",
            "student_id",
            "framework_id",
            "framework_version",
            "status",
            "score",
            "eindterm_code",
            "last_activity_at",
        ),
        # A decision moves the slot that holds the submission (and the pending list joins on it).
        Index("ix_slot_submission_id", "submission_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    framework_id: str = Field(max_length=100)
    framework_version: str = Field(max_length=50)
    eindterm_code: str = Field(max_length=20)
    status: str = Field(default=SlotStatus.leeg.value, max_length=20, index=True)
    evidence_count: int = 0
    last_activity_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    score: str | None = Field(default=None, max_length=30)


class SelfAssessment(SQLModel, Bound, table=True):
    """Zelfbeoordeling: the student's own level on the scale, with a motivation (app.evidence.self_assessment)."""

    __tablename__ = "self_assessment"

    id: int | None = Field(default=None, primary_key=True)
    student_id: int = Field(foreign_key="user_account.id", index=True)
    eindterm_code: str = Field(max_length=20)
    framework_id: str = Field(max_length=100)
    framework_version: str = Field(max_length=50)
    # The submission it was given with: the praktijkbegeleider's request shows it.
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    level: str = Field(max_length=30)  # a scale code of that framework version
    motivation: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
