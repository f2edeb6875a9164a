"""Which institutions (SURFconext's schac_home_organization) may sign in for a programme's people.

A programme without a list lets any institution's account sign in for its people (when it is linked); a programme
with a list refuses the others. Matching a person by the import's student number needs the institution listed:
a student number means nothing outside the school that issued it.
"""

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, delete, select

from app.audit import service as audit
from app.cohorts.models import Cohort, Enrolment, ProgrammeCoordinator


class ProgrammeInstitution(SQLModel, table=True):
    __tablename__ = "programme_institution"
    __table_args__ = (UniqueConstraint("programme_id", "institution"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    institution: str = Field(max_length=255)


def set_institutions(session: Session, *, programme_id: int, institutions: set[str], actor_id: int | None) -> None:
    session.exec(delete(ProgrammeInstitution).where(col(ProgrammeInstitution.programme_id) == programme_id))
    for institution in sorted({i.strip().lower() for i in institutions if i.strip()}):
        session.add(ProgrammeInstitution(programme_id=programme_id, institution=institution))
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.institutions_set",
        object_type="programme",
        object_id=programme_id,
        data={"institutions": sorted(institutions)},
    )
    session.flush()


def _programmes_of(session: Session, *, user_id: int) -> set[int]:
    enrolled = session.exec(
        select(Cohort.programme_id)
        .join(Enrolment, col(Enrolment.cohort_id) == Cohort.id)
        .where(
            (col(Enrolment.student_id) == user_id)
            | (col(Enrolment.supervisor_id) == user_id)
            | (col(Enrolment.assessor_id) == user_id)
        )
    ).all()
    coordinated = session.exec(
        select(ProgrammeCoordinator.programme_id).where(ProgrammeCoordinator.user_id == user_id)
    ).all()
    return set(enrolled) | set(coordinated)


def _lists(session: Session, *, user_id: int) -> tuple[set[int], dict[int, set[str]]]:
    programmes = _programmes_of(session, user_id=user_id)
    lists: dict[int, set[str]] = {}
    if programmes:
        rows = session.exec(
            select(ProgrammeInstitution).where(col(ProgrammeInstitution.programme_id).in_(programmes))
        ).all()
        for row in rows:
            lists.setdefault(row.programme_id, set()).add(row.institution)
    return programmes, lists


def institution_allowed(session: Session, *, user_id: int, institution: str | None) -> bool:
    """Whether one of the person's programmes lets this institution sign in (a programme without a list lets any;
    a person in no programme, such as a beheerder, is not restricted)."""
    programmes, lists = _lists(session, user_id=user_id)
    if not programmes:
        return True
    wanted = (institution or "").strip().lower()
    return any(p not in lists or wanted in lists[p] for p in programmes)


def institution_listed(session: Session, *, user_id: int, institution: str | None) -> bool:
    """Whether one of the person's programmes lists this institution explicitly (needed to match a student number)."""
    _, lists = _lists(session, user_id=user_id)
    wanted = (institution or "").strip().lower()
    return bool(wanted) and any(wanted in listed for listed in lists.values())
